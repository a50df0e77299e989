// The SPA is served beside the API without ever shadowing it, from an in-memory copy of the build.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers.ts";

const CANARY = "canary-outside-dist-7f3a";
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>';

function fakeBuild(): string {
  const root = mkdtempSync(join(tmpdir(), "enclave-web-"));
  writeFileSync(join(root, "secret.txt"), CANARY);
  const dist = join(root, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), INDEX);
  writeFileSync(join(dist, "assets", "index-Ab12Cd34.js"), "console.log(1)");
  writeFileSync(join(dist, "assets", "index-Ef56.css"), "body{}");
  writeFileSync(join(dist, "favicon.svg"), "<svg/>");
  return dist;
}

describe("web console serving", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ webDist: fakeBuild() });
  });
  afterAll(() => t.close());

  it("serves index.html for the root and any client route, revalidated on every load", async () => {
    for (const url of ["/", "/login", "/apps/0193-abc/editor", "/audit?action=app.create"]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.body).toBe(INDEX);
    }
    const head = await t.app.inject({ method: "HEAD", url: "/login" });
    expect(head.statusCode).toBe(200);
  });

  it("keeps the API's strict CSP on the page", async () => {
    const page = await t.app.inject({ url: "/" });
    const api = await t.app.inject({ url: "/healthz" });
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toBe(String(api.headers["content-security-policy"]));
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("serves hashed assets as immutable with their type, other files revalidated", async () => {
    const js = await t.app.inject({ url: "/assets/index-Ab12Cd34.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const css = await t.app.inject({ url: "/assets/index-Ef56.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    const icon = await t.app.inject({ url: "/favicon.svg" });
    expect(icon.headers["content-type"]).toBe("image/svg+xml");
    expect(icon.headers["cache-control"]).toBe("no-cache");
  });

  it("answers a missing asset with a JSON 404, not the page", async () => {
    const res = await t.app.inject({ url: "/assets/index-gone.js" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: "not_found" });
  });

  it("never shadows the API: unknown API paths stay JSON 404s in their own format", async () => {
    const consoleApi = await t.app.inject({ url: "/console/api/no-such-thing" });
    expect(consoleApi.statusCode).toBe(404);
    expect(consoleApi.headers["content-type"]).toContain("application/json");
    expect(consoleApi.json()).toMatchObject({ code: "not_found" });
    const v1 = await t.app.inject({ url: "/v1/no-such-thing" });
    expect(v1.statusCode).toBe(404);
    expect(v1.json()).toMatchObject({ code: "not_found", status: 404 });
    for (const url of ["/console/api", "/v1", "/healthz/x", "/readyz/x"]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain("<!doctype html>");
    }
    expect((await t.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await t.app.inject({ url: "/console/api/setup" })).json()).toEqual({ setupRequired: true });
    // Non-GET methods are never answered with the page.
    const post = await t.app.inject({ method: "POST", url: "/login", payload: {} });
    expect(post.statusCode).toBe(404);
  });

  it("never reads outside the build, whatever the path says", async () => {
    for (const url of [
      "/../secret.txt",
      "/..%2fsecret.txt",
      "/%2e%2e/secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/assets/%2e%2e/%2e%2e/secret.txt",
      "//secret.txt",
      "/%00",
      "/index.html%00.js",
    ]) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.body, url).not.toContain(CANARY);
    }
  });
});

describe("web console not built", () => {
  it("says so with a 404 while the API keeps working", async () => {
    const t = await createTestApp({ webDist: join(tmpdir(), "enclave-no-such-dist") });
    try {
      const res = await t.app.inject({ url: "/" });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: "not_found", message: expect.stringContaining("not built") });
      expect((await t.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
