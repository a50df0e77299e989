import { useEffect, useState } from "react";

export type Health = "checking" | "ok" | "unreachable";

const PROBE_TIMEOUT_MS = 5_000;

/**
 * Asks the server's public liveness endpoint whether it is up. Sends no credentials: the probe
 * needs none, and sessions live only in HttpOnly cookies, never in script.
 */
export async function probeHealth(
  fetcher: typeof fetch,
  signal?: AbortSignal,
): Promise<"ok" | "unreachable"> {
  try {
    const res = await fetcher("/healthz", {
      credentials: "omit",
      headers: { accept: "application/json" },
      signal,
    });
    if (!res.ok) return "unreachable";
    // A proxy or SPA fallback answering 200 with index.html is not a live server.
    const body: unknown = await res.json();
    return isOkBody(body) ? "ok" : "unreachable";
  } catch {
    return "unreachable";
  }
}

function isOkBody(body: unknown): boolean {
  return typeof body === "object" && body !== null && "status" in body && body.status === "ok";
}

/** Probes once on mount; "checking" until the answer (or the timeout) arrives. */
export function useHealth(): Health {
  const [health, setHealth] = useState<Health>("checking");
  useEffect(() => {
    let live = true;
    void probeHealth(fetch, AbortSignal.timeout(PROBE_TIMEOUT_MS)).then((result) => {
      if (live) setHealth(result);
    });
    return () => {
      live = false;
    };
  }, []);
  return health;
}
