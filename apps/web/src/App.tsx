import { type Health, useHealth } from "./health.ts";

export function HealthStatus({ health }: { health: Health }) {
  return (
    <p className={`status status-${health}`} role="status">
      Server: {health === "checking" ? "checking…" : health}
    </p>
  );
}

export function App() {
  const health = useHealth();
  return (
    <main className="shell">
      <h1>Enclave</h1>
      <p>The console is coming soon.</p>
      <HealthStatus health={health} />
    </main>
  );
}
