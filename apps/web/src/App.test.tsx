import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderToString } from "react-dom/server";
import { App, HealthStatus } from "./App.tsx";
import { probeHealth } from "./health.ts";

type Call = { url: string; init: RequestInit | undefined };

/** A fetch double that records what the page sends and answers with `respond`. */
function fakeFetch(respond: () => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return respond();
  }) as typeof fetch;
  return { calls, fetcher };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

// Turns any touch of browser storage into a recorded access, for the duration of one test.
const STORAGE = ["localStorage", "sessionStorage"] as const;
const touched: string[] = [];
const original = STORAGE.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const);
function trapStorage() {
  for (const name of STORAGE) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        throw new Error(`${name} must not be used`);
      },
    });
  }
}
afterEach(() => {
  for (const [name, descriptor] of original) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else Reflect.deleteProperty(globalThis, name);
  }
  touched.length = 0;
});

describe("web shell", () => {
  it("renders the product name, the coming-soon line and a pending status", () => {
    const html = renderToString(<App />);
    expect(html).toContain("<h1>Enclave</h1>");
    expect(html).toContain("The console is coming soon.");
    expect(html).toContain("Server: <!-- -->checking…");
  });

  it("shows the probe's answer", () => {
    expect(renderToString(<HealthStatus health="ok" />)).toContain("Server: <!-- -->ok");
    expect(renderToString(<HealthStatus health="unreachable" />)).toContain("Server: <!-- -->unreachable");
  });
});

describe("probeHealth", () => {
  it("asks /healthz with no credentials, no token header and no storage access", async () => {
    trapStorage();
    const { calls, fetcher } = fakeFetch(() => json({ status: "ok" }));
    renderToString(<App />);
    expect(await probeHealth(fetcher)).toBe("ok");
    expect(touched).toEqual([]);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe("/healthz");
    expect(call?.init?.credentials).toBe("omit");
    const headers = new Headers(call?.init?.headers);
    expect(headers.has("authorization")).toBe(false);
    expect([...headers.keys()]).toEqual(["accept"]);
  });

  it("reports unreachable for an error status, a network failure and an HTML fallback page", async () => {
    expect(await probeHealth(fakeFetch(() => json({ status: "ok" }, 503)).fetcher)).toBe("unreachable");
    expect(await probeHealth(fakeFetch(() => Promise.reject(new TypeError("offline"))).fetcher)).toBe(
      "unreachable",
    );
    const spaFallback = () =>
      new Response("<!doctype html><div id=root>", { headers: { "content-type": "text/html" } });
    expect(await probeHealth(fakeFetch(spaFallback).fetcher)).toBe("unreachable");
    expect(await probeHealth(fakeFetch(() => json({ status: "degraded" })).fetcher)).toBe("unreachable");
  });
});

// Sessions live in HttpOnly cookies; web code must never hold a credential where script can read it.
it("no web source touches browser storage or script-readable cookies", () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (f) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f),
  );
  expect(sources).toContain("App.tsx");
  for (const file of sources) {
    const text = readFileSync(join(dir, file), "utf8");
    expect(text, file).not.toMatch(/localStorage|sessionStorage|document\.cookie|indexedDB/);
  }
});
