import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { AppError, type Actor } from "@enclave/core";
import { InProcessQueue } from "@enclave/core";
import { openPglite } from "@enclave/db";
import { buildApp } from "./build-app.ts";
import { captureLogs, createTestApp, testConfig, type TestApp } from "../../test/helpers.ts";

const probes = async (app: FastifyInstance) => {
  app.post("/test/echo", { config: { public: true } }, async (request) => ({ received: request.body }));
  app.get("/test/boom", { config: { public: true } }, async () => {
    throw new Error('relation "secret_table" does not exist at SELECT * FROM accounts');
  });
  app.get("/test/conflict", { config: { public: true } }, async () => {
    throw new AppError("conflict", "that name is taken");
  });
  app.post("/test/careless-log", { config: { public: true } }, async (request) => {
    // A careless developer logs the whole request: redaction must still hold.
    request.log.info({ headers: request.headers, body: request.body }, "debugging");
    return { ok: true };
  });
  app.get("/test/ip", { config: { public: true } }, async (request) => ({
    ip: request.ctx.ip,
    protocol: request.protocol,
  }));
  app.post("/test/invite", { config: { permission: "member.invite" } }, async (request) => ({
    actor: request.ctx.actor.type,
  }));
};

describe("HTTP edge", () => {
  let t: TestApp;
  const logs = captureLogs();
  let actor: Actor | null = null;

  beforeAll(async () => {
    t = await createTestApp({
      logger: logs.logger,
      extraRoutes: [probes],
      authenticate: async () =>
        actor ? { actor, workspace: { id: "00000000-0000-7000-8000-000000000001" } } : null,
    });
  });
  afterAll(() => t.close());

  it("answers unknown routes with 404 JSON carrying a code and the request id", async () => {
    // Other GET paths belong to the console SPA (routes/web.ts); API paths and other methods don't.
    const post = await t.app.inject({ method: "POST", url: "/nope" });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toMatchObject({ code: "not_found", message: "route not found" });
    const res = await t.app.inject({ method: "GET", url: "/console/api/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      code: "not_found",
      message: "route not found",
      requestId: res.headers["x-request-id"],
    });
  });

  it("answers an oversized body with 413 and malformed JSON with 400", async () => {
    const big = await t.app.inject({
      method: "POST",
      url: "/test/echo",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ blob: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: "payload_too_large" });

    const bad = await t.app.inject({
      method: "POST",
      url: "/test/echo",
      headers: { "content-type": "application/json" },
      payload: '{"a": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: "invalid_json", requestId: bad.headers["x-request-id"] });
  });

  it("answers an AppError with its status, code and message", async () => {
    const res = await t.app.inject({ method: "GET", url: "/test/conflict" });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "conflict", message: "that name is taken" });
  });

  it("hides internal errors from the client and logs them under the same request id", async () => {
    const res = await t.app.inject({ method: "GET", url: "/test/boom" });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    const requestId = res.headers["x-request-id"];
    expect(body).toEqual({
      code: "internal_error",
      message: `internal error (request id ${requestId})`,
      requestId,
    });
    expect(res.body).not.toMatch(/secret_table|SELECT|at .*\.ts|stack/);
    const line = logs.lines().find((l) => l.msg === "request failed" && l.requestId === requestId);
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).toContain("secret_table");
  });

  it("keeps credentials and passwords out of every log line", async () => {
    const payload = {
      email: "a@example.com",
      password: "hunter2-canary-pw",
      nested: { apiKey: "k-canary-123" },
    };
    for (const url of ["/test/careless-log", "/test/boom"]) {
      await t.app.inject({
        method: url.endsWith("boom") ? "GET" : "POST",
        url,
        headers: { authorization: "Bearer xyz-canary-token", cookie: "session=cookie-canary" },
        ...(url.endsWith("boom") ? {} : { payload }),
      });
    }
    const text = logs.text();
    expect(text).toContain("debugging");
    for (const secret of ["xyz-canary-token", "hunter2-canary-pw", "k-canary-123", "cookie-canary"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("a@example.com");
  });

  it("sets strict security headers", async () => {
    const res = await t.app.inject({ method: "GET", url: "/healthz" });
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });

  it("enforces the declared permission: 401 without an actor, 403 without the role, 200 with it", async () => {
    actor = null;
    expect((await t.app.inject({ method: "POST", url: "/test/invite" })).statusCode).toBe(401);
    actor = { type: "user", accountId: "a", sessionId: "s", role: "editor" };
    const denied = await t.app.inject({ method: "POST", url: "/test/invite" });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: "forbidden" });
    actor = { type: "apiKey", keyId: "k", appId: "app" };
    expect((await t.app.inject({ method: "POST", url: "/test/invite" })).statusCode).toBe(403);
    actor = { type: "user", accountId: "a", sessionId: "s", role: "admin" };
    const allowed = await t.app.inject({ method: "POST", url: "/test/invite" });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toEqual({ actor: "user" });
    actor = null;
  });

  it("gives a foreign Origin no CORS grant, with or without credentials", async () => {
    for (const method of ["GET", "OPTIONS"] as const) {
      const res = await t.app.inject({
        method,
        url: "/healthz",
        headers: {
          origin: "https://evil.example",
          "access-control-request-method": "POST",
          cookie: "enclave_session=x",
        },
      });
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    }
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/test/ip",
      remoteAddress: "203.0.113.9",
      headers: { "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" },
    });
    expect(res.json()).toEqual({ ip: "203.0.113.9", protocol: "http" });
  });

  it("reports health and readiness", async () => {
    expect((await t.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    const ready = await t.app.inject({ method: "GET", url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
  });
});

describe("route guard", () => {
  const deps = async () => ({
    database: await openPglite(),
    queue: new InProcessQueue(pino({ level: "silent" })),
    logger: pino({ level: "silent" }),
  });

  it("makes buildApp throw for a route without permission metadata", async () => {
    const d = await deps();
    await expect(
      buildApp(testConfig(), {
        ...d,
        extraRoutes: [async (app) => void app.get("/unguarded", async () => "oops")],
      }),
    ).rejects.toThrow(/GET \/unguarded must declare exactly one of config.permission or config.public/);
    await d.database.close();
  });

  it("makes buildApp throw for an unknown permission or for both public and a permission", async () => {
    const d = await deps();
    await expect(
      buildApp(testConfig(), {
        ...d,
        extraRoutes: [
          async (app) => void app.get("/x", { config: { permission: "app.hack" as never } }, async () => ""),
        ],
      }),
    ).rejects.toThrow(/unknown permission app.hack/);
    await expect(
      buildApp(testConfig(), {
        ...d,
        extraRoutes: [
          async (app) =>
            void app.get("/y", { config: { public: true, permission: "app.read" } }, async () => ""),
        ],
      }),
    ).rejects.toThrow(/exactly one/);
    await d.database.close();
  });

  it("every route of the product declares a permission or is explicitly public", async () => {
    const t = await createTestApp();
    try {
      expect(t.app.registeredRoutes.length).toBeGreaterThan(0);
      for (const route of t.app.registeredRoutes) {
        expect(route.public !== (route.permission !== undefined), `${route.method} ${route.url}`).toBe(true);
      }
      const publicRoutes = t.app.registeredRoutes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`);
      // Public surface is a deliberate list: adding to it should be a conscious change.
      expect(publicRoutes.sort()).toEqual(
        [
          "GET /healthz",
          "HEAD /healthz",
          "GET /readyz",
          "HEAD /readyz",
          "GET /console/api/csrf",
          "HEAD /console/api/csrf",
          "GET /console/api/setup",
          "HEAD /console/api/setup",
          "POST /console/api/setup",
          "POST /console/api/login",
          "POST /console/api/login/mfa",
          "POST /console/api/invitations/:token/accept",
          "GET /app-api/:code/csrf",
          "HEAD /app-api/:code/csrf",
          "GET /app-api/:code/site",
          "HEAD /app-api/:code/site",
          "POST /app-api/:code/visit",
          // The console SPA's files and its index.html fallback (never API paths).
          "GET /*",
          "HEAD /*",
        ].sort(),
      );
    } finally {
      await t.close();
    }
  });
});

describe("trusted proxies", () => {
  it("believes X-Forwarded-For and -Proto only from a configured proxy", async () => {
    const t = await createTestApp({ env: { TRUSTED_PROXIES: "10.0.0.0/8" }, extraRoutes: [probes] });
    try {
      const viaProxy = await t.app.inject({
        method: "GET",
        url: "/test/ip",
        remoteAddress: "10.1.2.3",
        headers: { "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" },
      });
      expect(viaProxy.json()).toEqual({ ip: "198.51.100.7", protocol: "https" });
      const direct = await t.app.inject({
        method: "GET",
        url: "/test/ip",
        remoteAddress: "203.0.113.9",
        headers: { "x-forwarded-for": "198.51.100.7" },
      });
      expect(direct.json()).toMatchObject({ ip: "203.0.113.9" });
    } finally {
      await t.close();
    }
  });
});

describe("readiness", () => {
  it("answers 503 while migrations are pending", async () => {
    const t = await createTestApp({ database: await openPglite() });
    try {
      const res = await t.app.inject({ method: "GET", url: "/readyz" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: "not_ready", message: "database migrations are pending" });
    } finally {
      await t.close();
    }
  });
});
