import { like, sql } from "drizzle-orm";
import { authThrottles, queryRows, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { deriveKey, hmacHex } from "../crypto/keys.ts";
import { identitySettingsOf, normalizeEmail } from "./actor.ts";
import type { IdentitySettings } from "./settings.ts";

// A repeat offender's lock count is forgotten once its last lock ended this long ago.
const LOCK_COUNT_DECAY_MS = 24 * 3600_000;

/** The account part of a throttle key: keyed by email, so unknown emails behave like known ones. */
export function throttleKeyForEmail(settings: IdentitySettings, email: string): string {
  return hmacHex(deriveKey(settings.rootSecret, "throttle"), normalizeEmail(email));
}

const accountKey = (h: string, ip: string) => `acct:${h}:${ip}`;
const ipKey = (ip: string) => `ip:${ip}`;

/** False while this email+IP pair is locked or this IP is throttled. */
export async function checkLoginAllowed(
  ctx: Ctx,
  input: { email: string; ip: string; now?: Date },
): Promise<{ allowed: boolean }> {
  const settings = identitySettingsOf(ctx);
  const now = input.now ?? new Date();
  const h = throttleKeyForEmail(settings, input.email);
  const rows = await queryRows<{ n: number }>(
    ctx.db,
    sql`select count(*)::int as n from ${authThrottles}
        where ${authThrottles.key} in (${accountKey(h, input.ip)}, ${ipKey(input.ip)})
          and ${authThrottles.lockedUntil} > ${now.toISOString()}::timestamptz`,
  );
  return { allowed: (rows[0]?.n ?? 0) === 0 };
}

interface CounterState {
  failures: number;
  locked_until: Date | string | null;
  lock_count: number;
  locked_now: boolean;
}

/**
 * One atomic upsert: count a failure within the window (a stale window restarts at 1), and when
 * the count reaches `max`, set the lock and reset the count. `progressive` doubles each repeat lock.
 */
async function bumpCounter(
  tx: Transaction,
  key: string,
  now: Date,
  opts: { max: number; windowMs: number; lockMs: number; maxLockMs: number; progressive: boolean },
): Promise<CounterState> {
  const nowTs = sql`${now.toISOString()}::timestamptz`;
  const windowStart = sql`${new Date(now.getTime() - opts.windowMs).toISOString()}::timestamptz`;
  const decayBefore = sql`${new Date(now.getTime() - LOCK_COUNT_DECAY_MS).toISOString()}::timestamptz`;
  // F: failures including this one; LC: lock count after decay.
  const F = sql`(case when a.window_started_at < ${windowStart} then 1 else a.failures + 1 end)`;
  const LC = sql`(case when a.locked_until is not null and a.locked_until < ${decayBefore} then 0 else a.lock_count end)`;
  const lockFor = (lockCount: ReturnType<typeof sql>) =>
    opts.progressive
      ? sql`(least(${opts.lockMs}::float8 * power(2, ${lockCount}), ${opts.maxLockMs}::float8) * interval '1 millisecond')`
      : sql`(${opts.lockMs}::float8 * interval '1 millisecond')`;
  const firstLocks = opts.max <= 1;
  const [row] = await queryRows<CounterState>(
    tx,
    sql`
      insert into auth_throttles as a (key, failures, window_started_at, locked_until, lock_count, updated_at)
      values (${key}, ${firstLocks ? 0 : 1}, ${nowTs},
              ${firstLocks ? sql`${nowTs} + ${lockFor(sql`0`)}` : sql`null`}, ${firstLocks ? 1 : 0}, ${nowTs})
      on conflict (key) do update set
        failures = case when ${F} >= ${opts.max} then 0 else ${F} end,
        locked_until = case when ${F} >= ${opts.max} then ${nowTs} + ${lockFor(LC)} else a.locked_until end,
        lock_count = case when ${F} >= ${opts.max} then ${LC} + 1 else ${LC} end,
        window_started_at = case when ${F} >= ${opts.max} or a.window_started_at < ${windowStart}
                                 then ${nowTs} else a.window_started_at end,
        updated_at = ${nowTs}
      returning failures, locked_until, lock_count, (failures = 0) as locked_now`,
  );
  return row!;
}

/** Counts a failed login for the email+IP pair and for the IP; locks and audits when a limit is hit. */
export async function recordLoginFailure(
  ctx: Ctx,
  input: { email: string; ip: string; accountId: string | null; now?: Date },
): Promise<{ locked: boolean }> {
  const settings = identitySettingsOf(ctx);
  const { lockout } = settings;
  const now = input.now ?? new Date();
  const h = throttleKeyForEmail(settings, input.email);
  const windowMs = lockout.windowMinutes * 60_000;
  return withTransaction(ctx, async (tx, txCtx) => {
    const target = input.accountId ? { target: { type: "account", id: input.accountId } } : {};
    await emitAudit(tx, txCtx, {
      action: "auth.login.failure",
      outcome: "failure",
      workspaceId: null,
      ...target,
      details: { email_hash: h, ip: input.ip },
    });
    const pair = await bumpCounter(tx, accountKey(h, input.ip), now, {
      max: lockout.maxFailures,
      windowMs,
      lockMs: lockout.lockMinutes * 60_000,
      maxLockMs: lockout.maxLockMinutes * 60_000,
      progressive: true,
    });
    const ip = await bumpCounter(tx, ipKey(input.ip), now, {
      max: lockout.ipMaxFailures,
      windowMs,
      lockMs: lockout.lockMinutes * 60_000,
      maxLockMs: lockout.lockMinutes * 60_000,
      progressive: false,
    });
    for (const [scope, state] of [
      ["account_ip", pair],
      ["ip", ip],
    ] as const) {
      if (!state.locked_now) continue;
      await emitAudit(tx, txCtx, {
        action: "auth.login.locked",
        outcome: "denied",
        workspaceId: null,
        ...(scope === "account_ip" ? target : {}),
        details: {
          scope,
          until: new Date(state.locked_until!).toISOString(),
          lockCount: state.lock_count,
          ip: input.ip,
          email_hash: h,
        },
      });
    }
    return { locked: pair.locked_now || ip.locked_now };
  });
}

/** A successful login clears the pair's failure count (not its lock history). */
export async function recordLoginSuccess(ctx: Ctx, input: { email: string; ip: string }): Promise<void> {
  const h = throttleKeyForEmail(identitySettingsOf(ctx), input.email);
  await ctx.db
    .update(authThrottles)
    .set({ failures: 0 })
    .where(sql`${authThrottles.key} = ${accountKey(h, input.ip)}`);
}

/** Admin verb: clears every lock and counter of an email, from every IP. */
export async function unlockAccount(ctx: Ctx, input: { email: string }): Promise<void> {
  const h = throttleKeyForEmail(identitySettingsOf(ctx), input.email);
  await withTransaction(ctx, async (tx, txCtx) => {
    await tx.delete(authThrottles).where(like(authThrottles.key, `acct:${h}:%`));
    await emitAudit(tx, txCtx, { action: "auth.login.unlocked", details: { email_hash: h } });
  });
}
