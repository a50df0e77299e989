import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, inArray } from "drizzle-orm";
import { auditEvents, migrateDatabase, openPglite, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { testCtx } from "../../test/ctx.ts";
import type { Ctx } from "../context/ctx.ts";
import { defaultIdentitySettings } from "./settings.ts";
import { checkLoginAllowed, recordLoginFailure, recordLoginSuccess, unlockAccount } from "./throttle.ts";

const ROOT = "q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy";
const settings = defaultIdentitySettings(ROOT);
const T0 = new Date("2026-01-01T00:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

async function fail(ctx: Ctx, email: string, ip: string, times: number, now = T0) {
  for (let i = 0; i < times; i++) await recordLoginFailure(ctx, { email, ip, accountId: null, now });
}

describe.each(testDatabaseKinds())("login throttle on %s", (kind) => {
  let database: DatabaseHandle;
  let ctx: Ctx;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ctx = testCtx(database, { services: { identity: settings } });
  });
  afterAll(() => database.close());

  it("locks an email+IP pair after 5 failures for 15 minutes; other IPs are unaffected", async () => {
    const email = "a@example.com";
    await fail(ctx, email, "10.0.0.1", 4);
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.0.1", now: T0 })).toEqual({ allowed: true });
    expect(await recordLoginFailure(ctx, { email, ip: "10.0.0.1", accountId: null, now: T0 })).toEqual({
      locked: true,
    });
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.0.1", now: at(1) })).toEqual({ allowed: false });
    expect(await checkLoginAllowed(ctx, { email: " A@Example.com ", ip: "10.0.0.1", now: at(1) })).toEqual({
      allowed: false,
    });
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.0.2", now: at(1) })).toEqual({ allowed: true });
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.0.1", now: at(15.01) })).toEqual({
      allowed: true,
    });
  });

  it("a repeat lock lasts twice as long (progressive)", async () => {
    const email = "b@example.com";
    await fail(ctx, email, "10.0.1.1", 5, T0);
    await fail(ctx, email, "10.0.1.1", 5, at(16));
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.1.1", now: at(16 + 29) })).toEqual({
      allowed: false,
    });
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.1.1", now: at(16 + 30.01) })).toEqual({
      allowed: true,
    });
    const locks = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "auth.login.locked"));
    expect(
      locks
        .filter((l) => l.ip === "192.0.2.1" && (l.details as { ip: string }).ip === "10.0.1.1")
        .map((l) => (l.details as { lockCount: number }).lockCount),
    ).toEqual([1, 2]);
  });

  it("failures spread over time restart the count once the window passes; success clears the count", async () => {
    const email = "c@example.com";
    await fail(ctx, email, "10.0.2.1", 4, T0);
    await fail(ctx, email, "10.0.2.1", 1, at(16));
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.2.1", now: at(16) })).toEqual({ allowed: true });
    await fail(ctx, email, "10.0.2.1", 3, at(16));
    await recordLoginSuccess(ctx, { email, ip: "10.0.2.1" });
    await fail(ctx, email, "10.0.2.1", 4, at(17));
    expect(await checkLoginAllowed(ctx, { email, ip: "10.0.2.1", now: at(17) })).toEqual({ allowed: true });
  });

  it("throttles an IP that sprays many accounts, for every email, but not other IPs", async () => {
    for (let i = 0; i < settings.lockout.ipMaxFailures; i++) {
      await recordLoginFailure(ctx, {
        email: `spray${i}@example.com`,
        ip: "10.9.9.9",
        accountId: null,
        now: T0,
      });
    }
    expect(await checkLoginAllowed(ctx, { email: "fresh@example.com", ip: "10.9.9.9", now: at(1) })).toEqual({
      allowed: false,
    });
    expect(await checkLoginAllowed(ctx, { email: "fresh@example.com", ip: "10.9.9.8", now: at(1) })).toEqual({
      allowed: true,
    });
  });

  it("an admin unlock clears the email's locks from every IP and is audited", async () => {
    const email = "d@example.com";
    await fail(ctx, email, "10.0.3.1", 5);
    await fail(ctx, email, "10.0.3.2", 5);
    await unlockAccount(ctx, { email });
    for (const ip of ["10.0.3.1", "10.0.3.2"]) {
      expect(await checkLoginAllowed(ctx, { email, ip, now: at(1) })).toEqual({ allowed: true });
    }
    const rows = await database.db
      .select()
      .from(auditEvents)
      .where(inArray(auditEvents.action, ["auth.login.unlocked"]));
    expect(rows).toHaveLength(1);
  });

  it("counts concurrent failures exactly and locks once", async () => {
    const email = "e@example.com";
    await Promise.all(
      Array.from({ length: 10 }, () =>
        recordLoginFailure(ctx, { email, ip: "10.0.4.1", accountId: null, now: T0 }),
      ),
    );
    const locks = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "auth.login.locked"));
    const mine = locks.filter((l) => (l.details as { ip: string }).ip === "10.0.4.1");
    expect(mine).toHaveLength(2); // 10 failures = two full rounds of 5: locked, then locked again (progressive)
    expect(mine.map((l) => (l.details as { lockCount: number }).lockCount).sort()).toEqual([1, 2]);
  });
});

it("a lock survives a restart of the embedded database", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "enclave-throttle-"));
  const first = await openPglite({ dataDir });
  await migrateDatabase(first);
  const ctx1 = testCtx(first, { services: { identity: settings } });
  await fail(ctx1, "f@example.com", "10.0.5.1", 5);
  await first.close();
  const second = await openPglite({ dataDir });
  try {
    const ctx2 = testCtx(second, { services: { identity: settings } });
    expect(await checkLoginAllowed(ctx2, { email: "f@example.com", ip: "10.0.5.1", now: at(1) })).toEqual({
      allowed: false,
    });
  } finally {
    await second.close();
  }
});
