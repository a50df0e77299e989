import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderToString } from "react-dom/server";
import { App, createQueryClient } from "./App.tsx";
import { ApiError } from "./api/client.ts";

const render = (path: string, locale: "en" | "ja" | "zh-Hans" = "en") =>
  renderToString(<App ssrPath={path} locale={locale} client={createQueryClient()} />);

describe("console routes", () => {
  it("renders the sign-in form at /login in the chosen language", () => {
    const html = render("/login");
    expect(html).toContain("<h1>Sign in</h1>");
    expect(html).toMatch(
      /type="password"[^>]*autoComplete="current-password"|autocomplete="current-password"/i,
    );
    expect(render("/login", "ja")).toContain("<h1>サインイン</h1>");
    expect(render("/login", "zh-Hans")).toContain("<h1>登录</h1>");
  });

  it("renders setup with a token field and labelled inputs", () => {
    const html = render("/setup");
    expect(html).toContain("Setup token");
    // Every input has a label pointing at it.
    const ids = [...html.matchAll(/<input[^>]* id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    for (const id of ids) expect(html).toContain(`for="${id}"`);
  });

  it("shows a loading state, not the console, before the account is known", () => {
    const html = render("/apps");
    expect(html).toContain("Loading…");
    expect(html).not.toContain("Log out");
  });

  it("retries transient failures only", () => {
    const retry = createQueryClient().getDefaultOptions().queries?.retry as (
      n: number,
      e: unknown,
    ) => boolean;
    expect(retry(0, new ApiError(401, "unauthorized", "x"))).toBe(false);
    expect(retry(0, new ApiError(503, "not_ready", "x"))).toBe(true);
    expect(retry(2, new ApiError(503, "not_ready", "x"))).toBe(false);
  });
});

// Sessions live in HttpOnly cookies; web code must never hold a credential where script can read it,
// nor build markup from strings (user-supplied names must render as text).
it("no web source touches browser storage, script-readable cookies or raw HTML", () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (f) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f),
  );
  expect(sources).toContain("App.tsx");
  expect(sources.length).toBeGreaterThan(15);
  for (const file of sources) {
    const text = readFileSync(join(dir, file), "utf8");
    expect(text, file).not.toMatch(/localStorage|sessionStorage|document\.cookie|indexedDB/);
    expect(text, file).not.toMatch(/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|eval\(/);
    // style-src 'self': an inline style attribute would be blocked by the CSP.
    expect(text, file).not.toMatch(/\bstyle=\{/);
  }
});
