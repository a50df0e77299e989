// Knowledge (`dataset-`) keys are limited like app keys: the deployment's rpm per key, 429 with
// Retry-After, and a burst of bad keys is one audit alert per IP and per shown key prefix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { createTestApp, type TestApp } from "../helpers.ts";
import { setupOwner } from "../identity-world.ts";
import { bursts, randomIp } from "./edge-world.ts";

describe("dataset key limits", () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { API_DEFAULT_RPM: "3" } });
    const { owner } = await setupOwner(t);
    const res = await owner.post("/console/api/datasets/api-keys", { name: "kb" });
    expect(res.statusCode).toBe(201);
    token = (res.json() as { token: string }).token;
  });
  afterAll(() => t?.close());

  const list = (key: string, ip = "127.0.0.1") =>
    t.app.inject({
      method: "GET",
      url: "/v1/datasets",
      headers: { authorization: `Bearer ${key}` },
      remoteAddress: ip,
    });

  it("answers 429 with Retry-After after the default rpm", async () => {
    for (let i = 0; i < 3; i++) expect((await list(token)).statusCode).toBe(200);
    const refused = await list(token);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(refused.json()).toMatchObject({ code: "too_many_requests", status: 429 });
  });

  it("a burst of bad dataset keys is one alert per IP and one per shown prefix", async () => {
    // Fresh address and prefix each run: Redis-backed counters outlive the run.
    const ip = randomIp();
    const prefix = `dataset-${randomBytes(3).toString("hex").slice(0, 4)}`;
    for (let i = 0; i < 25; i++)
      expect((await list(`${prefix}guess${i}xxxxxxxxxxxx`, ip)).statusCode).toBe(401);
    // One for the IP, one for the shown prefix all the guesses shared — never more of the token.
    const byIp = await bursts(t, "ip", ip, 2);
    expect(byIp.filter((e) => !(e.details as { keyPrefix?: string }).keyPrefix)).toHaveLength(1);
    const byPrefix = await bursts(t, "keyPrefix", prefix, 1);
    expect(byPrefix).toHaveLength(1);
    expect(JSON.stringify(byPrefix)).not.toContain("guess");
  });
});
