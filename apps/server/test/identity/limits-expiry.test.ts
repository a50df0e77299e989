import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions } from "@enclave/db";
import { createTestApp, type TestApp } from "../helpers.ts";
import { ConsoleClient } from "../console-client.ts";
import { addMember, OWNER, PASSWORD, setupOwner } from "../identity-world.ts";

describe("rate limits, unlock and session expiry", () => {
  let t: TestApp;
  let owner: ConsoleClient;
  beforeAll(async () => {
    t = await createTestApp();
    ({ owner } = await setupOwner(t));
  });
  afterAll(() => t.close());

  it("login is rate limited per IP: 429 with Retry-After, other IPs unaffected", async () => {
    const c = new ConsoleClient(t.app, { remoteAddress: "203.0.113.77" });
    await c.csrf();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 21; i++) {
      last = await c.post("/console/api/login", { email: `x${i}@example.com`, password: "whatever it is 1" });
      statuses.push(last.statusCode);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect(last!.json()).toMatchObject({ code: "rate_limited" });
    expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
    const other = new ConsoleClient(t.app, { remoteAddress: "203.0.113.78" });
    expect((await other.login(OWNER.email, OWNER.password)).statusCode).toBe(200);
  });

  it("an admin can unlock a locked member", async () => {
    const m = await addMember(t, owner, "locked@example.com", "editor");
    const attacker = new ConsoleClient(t.app, { remoteAddress: "198.51.100.99" });
    await attacker.csrf();
    for (let i = 0; i < 5; i++)
      await attacker.post("/console/api/login", {
        email: "locked@example.com",
        password: `bad guess ${i}!!`,
      });
    expect(
      (await attacker.post("/console/api/login", { email: "locked@example.com", password: PASSWORD }))
        .statusCode,
    ).toBe(401);
    expect(
      (await owner.post(`/console/api/workspaces/current/members/${m.memberId}/unlock`)).statusCode,
    ).toBe(204);
    expect(
      (await attacker.post("/console/api/login", { email: "locked@example.com", password: PASSWORD }))
        .statusCode,
    ).toBe(200);
  });

  it("a session idle for longer than the idle timeout, or past its absolute limit, is refused", async () => {
    const idle = new ConsoleClient(t.app);
    await idle.login(OWNER.email, OWNER.password);
    const idleId = (
      (await idle.get("/console/api/account/sessions")).json() as { data: { id: string; current: boolean }[] }
    ).data.find((s) => s.current)!.id;
    await t.database.db
      .update(sessions)
      .set({ lastSeenAt: new Date(Date.now() - 31 * 60_000) })
      .where(eq(sessions.id, idleId));
    expect((await idle.get("/console/api/account")).statusCode).toBe(401);

    const old = new ConsoleClient(t.app);
    await old.login(OWNER.email, OWNER.password);
    const oldId = (
      (await old.get("/console/api/account/sessions")).json() as { data: { id: string; current: boolean }[] }
    ).data.find((s) => s.current)!.id;
    await t.database.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, oldId));
    expect((await old.get("/console/api/account")).statusCode).toBe(401);
  });
});

describe("SECRET_KEY rotation", () => {
  it("sessions signed with the previous key stay valid while SECRET_KEY_PREVIOUS is set, and end without it", async () => {
    const oldKey = "old-root-secret-Zq8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4";
    const newKey = "new-root-secret-Rj2Hf9LmQ4zT7wXc1VbN6pKs3GdYe8Ua0";
    const before = await createTestApp({ env: { SECRET_KEY: oldKey } });
    const { owner } = await setupOwner(before);
    const cookie = owner.cookies.get("enclave_session")!;
    await before.app.close();
    const rotated = await createTestApp({
      database: before.database,
      env: { SECRET_KEY: newKey, SECRET_KEY_PREVIOUS: oldKey },
    });
    const c = new ConsoleClient(rotated.app);
    c.cookies.set("enclave_session", cookie);
    expect((await c.get("/console/api/account")).statusCode).toBe(200);
    await rotated.app.close();
    const after = await createTestApp({ database: before.database, env: { SECRET_KEY: newKey } });
    try {
      const d = new ConsoleClient(after.app);
      d.cookies.set("enclave_session", cookie);
      expect((await d.get("/console/api/account")).statusCode).toBe(401);
    } finally {
      await after.close();
    }
  });
});

describe("SECRET_KEY rotation and MFA", () => {
  it("TOTP secrets and recovery codes keep working while SECRET_KEY_PREVIOUS is set", async () => {
    const { totpCode, totpStep } = await import("@enclave/core");
    const oldKey = "old-root-secret-Zq8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4";
    const newKey = "new-root-secret-Rj2Hf9LmQ4zT7wXc1VbN6pKs3GdYe8Ua0";
    const before = await createTestApp({ env: { SECRET_KEY: oldKey } });
    const { owner } = await setupOwner(before);
    const { secret } = (await owner.post("/console/api/account/mfa/totp")).json() as { secret: string };
    const { recoveryCodes } = (
      await owner.post("/console/api/account/mfa/totp/confirm", {
        code: totpCode(secret, totpStep(Date.now())),
      })
    ).json() as { recoveryCodes: string[] };
    await before.app.close();
    const rotated = await createTestApp({
      database: before.database,
      env: { SECRET_KEY: newKey, SECRET_KEY_PREVIOUS: oldKey },
    });
    try {
      const a = new ConsoleClient(rotated.app);
      expect((await a.login(OWNER.email, OWNER.password)).json()).toEqual({ mfaRequired: true });
      expect(
        (await a.post("/console/api/login/mfa", { code: totpCode(secret, totpStep(Date.now()) + 1) }))
          .statusCode,
      ).toBe(200);
      const b = new ConsoleClient(rotated.app);
      await b.login(OWNER.email, OWNER.password);
      expect((await b.post("/console/api/login/mfa", { recoveryCode: recoveryCodes[0] })).statusCode).toBe(
        200,
      );
    } finally {
      await rotated.close();
    }
  });
});
