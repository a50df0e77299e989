import { useEffect, useState } from "react";

type Health = "checking" | "ok" | "unreachable";

/** Probes the server's liveness endpoint; credentials travel only in HttpOnly cookies, never here. */
export function useHealth(fetcher: typeof fetch = fetch): Health {
  const [health, setHealth] = useState<Health>("checking");
  useEffect(() => {
    let live = true;
    fetcher("/healthz", { credentials: "same-origin" })
      .then((res) => live && setHealth(res.ok ? "ok" : "unreachable"))
      .catch(() => live && setHealth("unreachable"));
    return () => {
      live = false;
    };
  }, [fetcher]);
  return health;
}

export function App({ initialHealth }: { initialHealth?: Health }) {
  const probed = useHealth();
  const health = initialHealth ?? probed;
  return (
    <main className="shell">
      <h1>Enclave</h1>
      <p>The console is on its way. The API is up and serving.</p>
      <p className={`status status-${health}`} role="status">
        Server: {health === "checking" ? "checking…" : health}
      </p>
    </main>
  );
}
