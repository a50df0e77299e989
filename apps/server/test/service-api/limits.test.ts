import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { ChatClient } from "dify-client";
import { AppError, acquireGenerationSlot, isAppError, loadServingApp, RedisLimits } from "@enclave/core";
import { createTestDatabase } from "@enclave/db/testing";
import { createTestApp, type TestApp } from "../helpers.ts";
import {
  difyError,
  listen,
  publishedApp,
  setupEdgeWorld,
  type EdgeWorld,
  type PublishedApp,
} from "./edge-world.ts";

const REDIS_URL = process.env.TEST_REDIS_URL;

/**
 * A stand-in for a chat route, using the slot the way the chat runtime does: take it, generate,
 * give it back in `finally`. `?hold=1` waits until the test lets go; `?fail=1` fails upstream.
 */
function generationProbe(gate: Gate[]) {
  return async (app: FastifyInstance) => {
    app.post(
      "/v1/test-probe/generate",
      { config: { permission: "app.invoke", auth: "appKey" } },
      async (request) => {
        const query = request.query as { hold?: string; fail?: string };
        const served = await loadServingApp(request.ctx, "api");
        const release = await acquireGenerationSlot(request.ctx, served);
        try {
          if (query.hold) {
            const current = gate[gate.length - 1]!;
            current.holding();
            await current.wait;
          }
          if (query.fail) throw new AppError("upstream_error", "the model failed");
          return { ok: true };
        } finally {
          await release();
        }
      },
    );
  };
}

/** Holds a probe generation: `held` resolves once it has its slot, `open()` lets it finish. */
interface Gate {
  open: () => void;
  wait: Promise<void>;
  holding: () => void;
  held: Promise<void>;
}

function newGate(gates: Gate[]): Gate {
  let open!: () => void;
  let holding!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  const held = new Promise<void>((r) => (holding = r));
  const gate = { open, wait, holding, held };
  gates.push(gate);
  return gate;
}

const params = (app: PublishedApp, base: string) =>
  new ChatClient(app.token, base).getApplicationParameters("u1");

async function expect429(promise: Promise<unknown>, maxRetryAfter: number) {
  const err = await difyError(promise);
  expect(err.status).toBe(429);
  expect(err.body).toEqual({ code: "too_many_requests", message: expect.any(String), status: 429 });
  const retryAfter = Number(err.headers["retry-after"]);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
}

describe("service API limits (in memory)", () => {
  let t: TestApp;
  let w: EdgeWorld;
  let base: string;
  const gates: Gate[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      env: { API_DEFAULT_RPM: "2", API_DEFAULT_RPH: "0" },
      extraRoutes: [generationProbe(gates)],
    });
    w = await setupEdgeWorld(t);
    base = await listen(t.app);
  });
  afterAll(() => t.close());

  it("answers 429 with Retry-After after the app's rpm, per key", async () => {
    const app = await publishedApp(w, { apiRpm: 3 });
    for (let i = 0; i < 3; i++) expect((await params(app, base)).status).toBe(200);
    await expect429(params(app, base), 60);
    // Every app-key route counts (and is refused) alike.
    const info = await difyError(new ChatClient(app.token, base).sendRequest("GET", "/info"));
    expect(info.status).toBe(429);

    // A second key of the same app has its own budget; another app is untouched.
    const res = await w.owner.post(`/console/api/apps/${app.id}/api-keys`, { name: "second" });
    const second = { ...app, token: (res.json() as { token: string }).token };
    expect((await params(second, base)).status).toBe(200);
    const other = await publishedApp(w, { apiRpm: 3 });
    expect((await params(other, base)).status).toBe(200);
  });

  it("uses API_DEFAULT_RPM for apps that set no limit, and the hour limit too", async () => {
    const app = await publishedApp(w);
    await params(app, base);
    await params(app, base);
    await expect429(params(app, base), 60);

    const hourly = await publishedApp(w, { apiRpm: 100, apiRph: 1 });
    await params(hourly, base);
    await expect429(params(hourly, base), 3600);
  });

  it("limits generations per app and gives the slot back when a generation fails", async () => {
    const app = await publishedApp(w, { apiRpm: 100, maxConcurrentRequests: 1 });
    const client = new ChatClient(app.token, base);
    const generate = (q = "") => client.sendRequest("POST", `/test-probe/generate${q}`, {});

    // A failing generation releases its slot: the next one runs.
    const failed = await difyError(generate("?fail=1"));
    expect(failed.body).toMatchObject({ code: "upstream_error", status: 502 });
    expect((await generate()).data).toEqual({ ok: true });

    // While one generation holds the only slot, another is refused; after it ends, one fits again.
    const gate = newGate(gates);
    const held = generate("?hold=1");
    await gate.held;
    await expect429(generate(), 1);
    gate.open();
    expect((await held).data).toEqual({ ok: true });
    expect((await generate()).data).toEqual({ ok: true });
  });
});

describe.skipIf(!REDIS_URL)("service API limits shared through Redis (needs TEST_REDIS_URL)", () => {
  let first: TestApp;
  let second: FastifyInstance;
  let w: EdgeWorld;
  let base1: string;
  let base2: string;
  let redis: Redis;
  const gates: Gate[] = [];

  beforeAll(async () => {
    redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 2 });
    const database = await createTestDatabase();
    const deps = { database, redis, extraRoutes: [generationProbe(gates)] };
    first = await createTestApp(deps);
    // A second replica: its own process state, the same database and Redis.
    second = (await createTestApp(deps)).app;
    w = await setupEdgeWorld(first);
    base1 = await listen(first.app);
    base2 = await listen(second);
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await redis.quit();
  });

  it("counts one key's requests across both instances", async () => {
    const app = await publishedApp(w, { apiRpm: 4 });
    await params(app, base1);
    await params(app, base2);
    await params(app, base1);
    await params(app, base2);
    await expect429(params(app, base1), 60);
    await expect429(params(app, base2), 60);
  });

  it("shares an app's generation slots across instances, and a failure gives its slot back", async () => {
    const app = await publishedApp(w, { apiRpm: 100, maxConcurrentRequests: 1 });
    const on = (base: string, q = "") =>
      new ChatClient(app.token, base).sendRequest("POST", `/test-probe/generate${q}`, {});
    expect((await difyError(on(base1, "?fail=1"))).status).toBe(502);
    const gate = newGate(gates);
    const held = on(base1, "?hold=1");
    await gate.held;
    await expect429(on(base2), 1);
    gate.open();
    await held;
    expect((await on(base2)).data).toEqual({ ok: true });
  });

  it("lets a crashed replica's slots expire", async () => {
    const appId = crypto.randomUUID();
    const crashed = new Redis(REDIS_URL!, { maxRetriesPerRequest: 0 });
    const dying = new RedisLimits(crashed, { leaseTtlMs: 1000 });
    await dying.acquireGeneration(appId, 1);
    crashed.disconnect(); // never releases, never renews
    const survivor = new RedisLimits(redis, { leaseTtlMs: 1000 });
    const refused = await survivor.acquireGeneration(appId, 1).catch((e: unknown) => e);
    expect(isAppError(refused) && refused.code).toBe("rate_limited");
    await new Promise((r) => setTimeout(r, 1200));
    const release = await survivor.acquireGeneration(appId, 1);
    await release();
  });

  it("keeps a slot alive while its generation runs past the lease time", async () => {
    const appId = crypto.randomUUID();
    const limits = new RedisLimits(redis, { leaseTtlMs: 1200 });
    const release = await limits.acquireGeneration(appId, 1);
    await new Promise((r) => setTimeout(r, 2000));
    await expect(limits.acquireGeneration(appId, 1)).rejects.toThrow(/at once/);
    await release();
    await (
      await limits.acquireGeneration(appId, 1)
    )();
  });
});
