// Knowledge (`dataset-`) keys are limited like app keys: the deployment's rpm per key, 429 with
// Retry-After, and a burst of bad keys is one audit alert per IP and per shown key prefix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents } from "@enclave/db";
import { createTestApp, type TestApp } from "../helpers.ts";
import { setupOwner } from "../identity-world.ts";

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
    for (let i = 0; i < 25; i++)
      expect((await list(`dataset-guess${i}xxxxxxxxxxxx`, "127.0.0.9")).statusCode).toBe(401);
    const alerts = await t.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "auth.api_key.failure_burst"));
    const mine = alerts.map((a) => a.details as { ip?: string; keyPrefix?: string; count: number });
    // One for the IP, one for the shown prefix all the guesses shared — never more of the token.
    expect(mine.filter((d) => d.ip === "127.0.0.9" && !d.keyPrefix)).toHaveLength(1);
    expect(mine.filter((d) => d.keyPrefix === "dataset-gues")).toHaveLength(1);
  });
});
