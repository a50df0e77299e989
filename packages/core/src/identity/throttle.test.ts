import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { auditEvents, authThrottles, migrateDatabase, openPglite, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { auditRows, testCtx } from "../../test/ctx.ts";
import type { Ctx } from "../context/ctx.ts";
import { defaultIdentitySettings, type IdentitySettings } from "./settings.ts";
import {
  checkLoginAllowed,
  recordLoginFailure,
  recordLoginSuccess,
  throttleKeyForEmail,
  unlockAccount,
} from "./throttle.ts";

const ROOT = "q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy";
const settings = defaultIdentitySettings(ROOT);
const T0 = new Date("2026-01-01T00:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe.each(testDatabaseKinds())("login throttle on %s", (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(() => database.close());

  // As the login verb does: ctx.ip is the request's source, the same IP the throttle is keyed by.
  const ctxFor = (ip: string, identity: IdentitySettings = settings): Ctx =>
    testCtx(database, { ip, services: { identity } });

  async function fail(
    email: string,
    ip: string,
    times: number,
    now = T0,
    opts: { accountId?: string | null; identity?: IdentitySettings } = {},
  ): Promise<boolean> {
    let locked = false;
    for (let i = 0; i < times; i++) {
      ({ locked } = await recordLoginFailure(ctxFor(ip, opts.identity), {
        email,
        ip,
        accountId: opts.accountId ?? null,
        now,
      }));
    }
    return locked;
  }
  const allowed = async (email: string, ip: string, now: Date) =>
    (await checkLoginAllowed(ctxFor(ip), { email, ip, now })).allowed;
  const events = (action: string, ip: string) =>
    auditRows(database.db, and(eq(auditEvents.action, action), eq(auditEvents.ip, ip)));
  const row = async (key: string) =>
    (await database.db.select().from(authThrottles).where(eq(authThrottles.key, key)))[0];

  it("5 failures lock the email+IP pair for 15 minutes; the 6th attempt is refused; another IP is not", async () => {
    const email = "a@example.com";
    const ip = "10.0.0.1";
    expect(await fail(email, ip, 4)).toBe(false);
    expect(await allowed(email, ip, T0)).toBe(true);
    expect(await fail(email, ip, 1)).toBe(true);
    expect(await allowed(email, ip, at(1))).toBe(false);
    expect(await allowed(" A@Example.COM ", ip, at(1))).toBe(false);
    expect(await allowed(email, "10.0.0.2", at(1))).toBe(true);
    expect(await allowed(email, ip, at(14.99))).toBe(false);
    expect(await allowed(email, ip, at(15))).toBe(true);

    const [lock] = await events("auth.login.locked", ip);
    expect(lock?.details).toEqual({
      scope: "account_ip",
      until: at(15).toISOString(),
      lockCount: 1,
      ip,
      email_hash: throttleKeyForEmail(settings, email),
    });
  });

  it("each further lock of the pair doubles, up to maxLockMinutes", async () => {
    const email = "b@example.com";
    const ip = "10.0.1.1";
    await fail(email, ip, 5, T0);
    await fail(email, ip, 5, at(16));
    expect(await allowed(email, ip, at(16 + 29.99))).toBe(false);
    expect(await allowed(email, ip, at(16 + 30))).toBe(true);
    await fail(email, ip, 5, at(50));
    expect(await allowed(email, ip, at(50 + 59.99))).toBe(false);
    expect(await allowed(email, ip, at(50 + 60))).toBe(true);
    const locks = await events("auth.login.locked", ip);
    expect(locks.map((l) => (l.details as { lockCount: number }).lockCount)).toEqual([1, 2, 3]);

    const capped: IdentitySettings = { ...settings, lockout: { ...settings.lockout, maxLockMinutes: 40 } };
    const ip2 = "10.0.1.2";
    for (const start of [0, 20, 60]) await fail(email, ip2, 5, at(start), { identity: capped });
    expect(await allowed(email, ip2, at(60 + 39.99))).toBe(false);
    expect(await allowed(email, ip2, at(60 + 40))).toBe(true);
  });

  it("the lock count is forgotten once the last lock ended more than 24 hours ago", async () => {
    const email = "decay@example.com";
    const day = 24 * 60;
    // Through further failures: the next lock is a first lock again.
    await fail(email, "10.0.6.1", 5, T0);
    await fail(email, "10.0.6.1", 5, at(15 + day + 1));
    expect(await allowed(email, "10.0.6.1", at(15 + day + 1 + 15))).toBe(true);
    // Through a successful login: within 24 h it is kept, after it is reset.
    const key = `acct:${throttleKeyForEmail(settings, email)}:10.0.6.2`;
    await fail(email, "10.0.6.2", 5, T0);
    await recordLoginSuccess(ctxFor("10.0.6.2"), { email, ip: "10.0.6.2", now: at(15 + day - 1) });
    expect(await row(key)).toMatchObject({ failures: 0, lockCount: 1 });
    await recordLoginSuccess(ctxFor("10.0.6.2"), { email, ip: "10.0.6.2", now: at(15 + day + 1) });
    expect(await row(key)).toMatchObject({ failures: 0, lockCount: 0 });
  });

  it("failures outside the window restart the count; a success clears it but keeps the lock count", async () => {
    const email = "c@example.com";
    const ip = "10.0.2.1";
    await fail(email, ip, 4, T0);
    expect(await fail(email, ip, 1, at(15))).toBe(false); // window [T0, T0+15) is over: count 1
    expect(await fail(email, ip, 3, at(16))).toBe(false); // 4
    await recordLoginSuccess(ctxFor(ip), { email, ip, now: at(17) });
    expect(await fail(email, ip, 4, at(17))).toBe(false);
    expect(await allowed(email, ip, at(17))).toBe(true);
    expect(await fail(email, ip, 1, at(17))).toBe(true);

    await recordLoginSuccess(ctxFor(ip), { email, ip, now: at(40) });
    await fail(email, ip, 5, at(40));
    expect(await allowed(email, ip, at(40 + 29.99))).toBe(false); // second lock: 30 min
  });

  it("an unknown email is counted, locked and audited exactly like a known one", async () => {
    const accountId = uuidv7();
    const known = { email: "known@example.com", ip: "10.0.7.1" };
    const unknown = { email: "nobody@example.com", ip: "10.0.7.2" };
    await fail(known.email, known.ip, 5, T0, { accountId });
    await fail(unknown.email, unknown.ip, 5, T0, { accountId: null });
    for (const { email, ip } of [known, unknown]) {
      expect(await allowed(email, ip, at(1))).toBe(false);
      expect(await allowed(email, ip, at(15))).toBe(true);
      expect(await events("auth.login.failure", ip)).toHaveLength(5);
      expect(await events("auth.login.locked", ip)).toHaveLength(1);
    }
    const [k] = await events("auth.login.failure", known.ip);
    const [u] = await events("auth.login.failure", unknown.ip);
    expect(k).toMatchObject({ targetType: "account", targetId: accountId, outcome: "failure" });
    expect(u).toMatchObject({ targetType: null, targetId: null, outcome: "failure" });
    expect(Object.keys(k!.details).sort()).toEqual(Object.keys(u!.details).sort());
  });

  it("an IP failing across many emails is throttled for every email, for lockMinutes only; other IPs are not", async () => {
    const ip = "10.9.9.9";
    const spray = async (now: Date) => {
      for (let i = 0; i < settings.lockout.ipMaxFailures; i++) {
        await fail(`spray${i}@example.com`, ip, 1, now);
      }
    };
    await spray(T0);
    expect(await allowed("fresh@example.com", ip, at(1))).toBe(false);
    expect(await allowed("fresh@example.com", "10.9.9.8", at(1))).toBe(true);
    expect(await allowed("spray0@example.com", "10.9.9.8", at(1))).toBe(true);
    expect(await allowed("fresh@example.com", ip, at(15))).toBe(true);
    await spray(at(20));
    expect(await allowed("fresh@example.com", ip, at(20 + 14.99))).toBe(false);
    expect(await allowed("fresh@example.com", ip, at(20 + 15))).toBe(true); // not progressive
    const locks = await events("auth.login.locked", ip);
    expect(locks.map((l) => l.details)).toEqual([
      { scope: "ip", until: at(15).toISOString(), lockCount: 1, ip },
      { scope: "ip", until: at(35).toISOString(), lockCount: 2, ip },
    ]);
  });

  it("an admin unlock clears the email's locks from every IP, only that email's, and is audited", async () => {
    const email = "d@example.com";
    await fail(email, "10.0.3.1", 5);
    await fail(email, "10.0.3.2", 5);
    await fail("other@example.com", "10.0.3.1", 5);
    const admin = testCtx(database, {
      ip: "203.0.113.9",
      actor: { type: "user", accountId: uuidv7(), sessionId: null, role: "owner" },
      services: { identity: settings },
    });
    const accountId = uuidv7();
    await unlockAccount(admin, { email: " D@example.com", accountId });
    expect(await allowed(email, "10.0.3.1", at(1))).toBe(true);
    expect(await allowed(email, "10.0.3.2", at(1))).toBe(true);
    expect(await allowed("other@example.com", "10.0.3.1", at(1))).toBe(false);
    // Counters are gone too: the next lock is a first lock again.
    await fail(email, "10.0.3.1", 5, at(2));
    expect(await allowed(email, "10.0.3.1", at(2 + 15))).toBe(true);

    const [unlocked] = await events("auth.login.unlocked", "203.0.113.9");
    expect(unlocked).toMatchObject({
      outcome: "success",
      actorType: "user",
      actorId: (admin.actor as { accountId: string }).accountId,
      targetType: "account",
      targetId: accountId,
      details: { email_hash: throttleKeyForEmail(settings, email), cleared: 2 },
    });
  });

  it("audit rows carry the source IP and never the password or the typed email", async () => {
    const ip = "10.0.8.1";
    const password = "correct horse battery staple";
    // A user who pasted the password into the email field.
    const email = password;
    await fail(email, ip, 5);
    await unlockAccount(ctxFor(ip), { email });
    const rows = [
      ...(await events("auth.login.failure", ip)),
      ...(await events("auth.login.locked", ip)),
      ...(await events("auth.login.unlocked", ip)),
    ];
    expect(rows.map((r) => r.action)).toEqual([
      ...Array<string>(5).fill("auth.login.failure"),
      "auth.login.locked",
      "auth.login.unlocked",
    ]);
    for (const r of rows.slice(0, 6)) expect((r.details as { ip: string }).ip).toBe(ip);
    expect(JSON.stringify(rows)).not.toContain("horse");
    expect(JSON.stringify(await database.db.select().from(authThrottles))).not.toContain("horse");
  });

  it("concurrent failures on one key are counted exactly and lock exactly once", async () => {
    const email = "e@example.com";
    const ip = "10.0.4.1";
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        recordLoginFailure(ctxFor(ip), { email, ip, accountId: null, now: T0 }),
      ),
    );
    expect(await events("auth.login.failure", ip)).toHaveLength(10);
    const locks = await events("auth.login.locked", ip);
    expect(locks).toHaveLength(1);
    expect(locks[0]?.details).toMatchObject({ scope: "account_ip", lockCount: 1 });
    // 5 reached the threshold and started the lock; the 5 that arrived while it held are counted.
    expect(await row(`acct:${throttleKeyForEmail(settings, email)}:${ip}`)).toMatchObject({
      failures: 5,
      lockCount: 1,
      lockedUntil: at(15),
    });
    expect(await row(`ip:${ip}`)).toMatchObject({ failures: 10, lockCount: 0 });
    expect(results.filter((r) => r.locked)).toHaveLength(6);
    expect(await allowed(email, ip, at(1))).toBe(false);
  });

  it("checkLoginAllowed refuses to run without identity settings", async () => {
    await expect(
      checkLoginAllowed(testCtx(database), { email: "x@example.com", ip: "10.0.0.9" }),
    ).rejects.toThrow(/identity settings/);
  });
});

it("a lock survives a restart of the embedded database", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "enclave-throttle-"));
  try {
    const first = await openPglite({ dataDir });
    try {
      await migrateDatabase(first);
      const ctx = testCtx(first, { ip: "10.0.5.1", services: { identity: settings } });
      for (let i = 0; i < 5; i++) {
        await recordLoginFailure(ctx, { email: "f@example.com", ip: "10.0.5.1", accountId: null, now: T0 });
      }
    } finally {
      await first.close();
    }
    const second = await openPglite({ dataDir });
    try {
      const ctx = testCtx(second, { ip: "10.0.5.1", services: { identity: settings } });
      const check = (now: Date) => checkLoginAllowed(ctx, { email: "f@example.com", ip: "10.0.5.1", now });
      expect(await check(at(1))).toEqual({ allowed: false });
      expect(await check(at(15))).toEqual({ allowed: true });
    } finally {
      await second.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
