import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { createTestDatabase } from "@enclave/db/testing";
import { createTestApp, type TestApp } from "../helpers.ts";
import { bursts, publishedApp, randomIp, setupEdgeWorld, type EdgeWorld } from "./edge-world.ts";

const REDIS_URL = process.env.TEST_REDIS_URL;
const fakeToken = (prefix = "app-") =>
  prefix +
  Math.random()
    .toString(36)
    .slice(2)
    .padEnd(43, "x")
    .slice(0, 47 - prefix.length);

function call(app: FastifyInstance, ip: string, token: string | null) {
  return app.inject({
    method: "GET",
    url: "/v1/parameters",
    remoteAddress: ip,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

describe("failed app-key authentication bursts", () => {
  let t: TestApp;
  let w: EdgeWorld;

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupEdgeWorld(t);
  });
  afterAll(() => t.close());

  it("records one alert per window for many failures from one IP", async () => {
    const ip = randomIp();
    for (let i = 0; i < 19; i++) expect((await call(t.app, ip, fakeToken())).statusCode).toBe(401);
    expect(await bursts(t, "ip", ip, 0)).toHaveLength(0);
    await call(t.app, ip, null); // no key at all counts too
    for (let i = 0; i < 30; i++) await call(t.app, ip, fakeToken());
    const events = await bursts(t, "ip", ip, 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: "failure",
      workspaceId: null,
      actorType: "anonymous",
      ip,
      details: { ip, count: 20, window: 300 },
    });
  });

  it("counts the connecting address, not a spoofed X-Forwarded-For", async () => {
    const ip = randomIp();
    for (let i = 0; i < 20; i++) {
      await t.app.inject({
        method: "GET",
        url: "/v1/info",
        remoteAddress: ip,
        headers: { authorization: `Bearer ${fakeToken()}`, "x-forwarded-for": randomIp() },
      });
    }
    expect(await bursts(t, "ip", ip, 1)).toHaveLength(1);
  });

  it("does not alert on a few failures or on successful calls", async () => {
    const app = await publishedApp(w);
    const ip = randomIp();
    for (let i = 0; i < 5; i++) await call(t.app, ip, fakeToken());
    for (let i = 0; i < 30; i++) expect((await call(t.app, ip, app.token)).statusCode).toBe(200);
    expect(await bursts(t, "ip", ip, 0)).toHaveLength(0);
  });

  it("records one alert for many failures against one key prefix from many IPs", async () => {
    const app = await publishedApp(w);
    const prefix = app.token.slice(0, 8);
    await w.owner.delete(`/console/api/apps/${app.id}/api-keys/${app.keyId}`);
    for (let i = 0; i < 25; i++) expect((await call(t.app, randomIp(), app.token)).statusCode).toBe(401);
    const events = await bursts(t, "keyPrefix", prefix, 1);
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ keyPrefix: prefix, count: 20, window: 300 });
    // Only the shown prefix is recorded, never the rest of the token.
    expect(JSON.stringify(events)).not.toContain(app.token.slice(8));
  });
});

describe.skipIf(!REDIS_URL)("failure bursts across replicas (needs TEST_REDIS_URL)", () => {
  let first: TestApp;
  let second: FastifyInstance;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 2 });
    const database = await createTestDatabase();
    first = await createTestApp({ database, redis });
    second = (await createTestApp({ database, redis })).app;
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await redis.quit();
  });

  it("counts failures on both instances together and alerts once", async () => {
    const ip = randomIp();
    for (let i = 0; i < 15; i++) {
      await call(first.app, ip, fakeToken());
      await call(second, ip, fakeToken());
    }
    const events = await bursts(first, "ip", ip, 1);
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ ip, count: 20 });
  });
});
