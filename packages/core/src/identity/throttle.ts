import { like, sql, type SQL } from "drizzle-orm";
import { authThrottles, queryRows, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { deriveKey, hmacHex } from "../crypto/keys.ts";
import { identitySettingsOf, normalizeEmail } from "./actor.ts";
import type { IdentitySettings } from "./settings.ts";

/*
 * Login throttling (SECURITY.md row 6). Two counters per failed login, both in `auth_throttles`
 * so they survive restarts and are shared by every replica:
 *
 * - `acct:<h>:<ip>`: one email from one source. `maxFailures` failures within `windowMinutes`
 *   lock the pair for `lockMinutes`, doubled for each earlier lock of the pair, capped at
 *   `maxLockMinutes`. Only that pair is locked, so an attacker cannot lock a user out from
 *   everywhere (the per-email DoS of Dify's 24 h lock).
 * - `ip:<ip>`: one source across all emails (password spraying). `ipMaxFailures` failures within
 *   the window throttle the IP for `lockMinutes`, never longer.
 *
 * `<h>` is an HMAC of the normalised email, not an account id: unknown emails are counted and
 * locked exactly like known ones (no enumeration), and audit rows never hold the typed email
 * (users do paste passwords into the email field).
 */

/**
 * Repeat-offender memory: a pair's `lock_count` (which doubles each lock) is forgotten once its last
 * lock ended more than this long ago, so a user who mistyped a password months apart starts again
 * at `lockMinutes`. Applied on every write to the pair (failure or success).
 */
const LOCK_COUNT_DECAY_MS = 24 * 3600_000;
/** Doubling stops mattering long before this; bounds `power(2, n)` against overflow. */
const MAX_DOUBLINGS = 30;

/** The email part of a throttle key: HMAC-SHA256 (throttle purpose key) of the normalised email. */
export function throttleKeyForEmail(settings: IdentitySettings, email: string): string {
  return hmacHex(deriveKey(settings.rootSecret, "throttle"), normalizeEmail(email));
}

const accountIpKey = (h: string, ip: string): string => `acct:${h}:${ip}`;
const ipKey = (ip: string): string => `ip:${ip}`;
const ts = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;

/** False while this email+IP pair is locked or this IP is throttled. A pure read. */
export async function checkLoginAllowed(
  ctx: Ctx,
  input: { email: string; ip: string; now?: Date },
): Promise<{ allowed: boolean }> {
  const settings = identitySettingsOf(ctx);
  const now = input.now ?? new Date();
  const h = throttleKeyForEmail(settings, input.email);
  const rows = await queryRows<{ n: number }>(
    ctx.db,
    sql`select count(*)::int as n from auth_throttles
        where key in (${accountIpKey(h, input.ip)}, ${ipKey(input.ip)}) and locked_until > ${ts(now)}`,
  );
  return { allowed: (rows[0]?.n ?? 0) === 0 };
}

interface CounterRow {
  failures: number;
  locked_until: Date | string | null;
  lock_count: number;
  /** This statement started a lock. */
  lock_started: boolean;
  locked: boolean;
}

interface CounterPolicy {
  max: number;
  windowMs: number;
  lockMs: number;
  maxLockMs: number;
  progressive: boolean;
}

/**
 * Counts one failure against `key` in a single `INSERT … ON CONFLICT DO UPDATE`, so concurrent
 * failures serialise on the row lock and each sees the previous one's result (exact counts, one
 * lock per threshold crossing, on PostgreSQL as on PGlite). In the update, `a.*` is the row as it
 * was before this failure.
 *
 * - The window is [window_started_at, +windowMs); a failure outside it restarts the count at 1.
 * - Reaching `max` while not locked starts a lock and resets the count (and the window).
 * - A failure while the key is already locked (a request that passed `checkLoginAllowed` before
 *   the lock was written) is counted but neither starts nor extends a lock.
 */
async function countFailure(tx: Transaction, key: string, now: Date, p: CounterPolicy): Promise<CounterRow> {
  const windowStart = ts(new Date(now.getTime() - p.windowMs));
  const decayBefore = ts(new Date(now.getTime() - LOCK_COUNT_DECAY_MS));
  const lockLength = (lockCount: SQL): SQL =>
    p.progressive
      ? sql`(least(${p.lockMs}::float8 * power(2::float8, least(${lockCount}, ${MAX_DOUBLINGS})), ${p.maxLockMs}::float8) * interval '1 millisecond')`
      : sql`(${p.lockMs}::float8 * interval '1 millisecond')`;
  // Failures including this one, and the lock count after decay.
  const F = sql`(case when a.window_started_at <= ${windowStart} then 1 else a.failures + 1 end)`;
  const LC = sql`(case when a.locked_until is not null and a.locked_until < ${decayBefore} then 0 else a.lock_count end)`;
  const lockNow = sql`(${F} >= ${p.max} and (a.locked_until is null or a.locked_until <= ${ts(now)}))`;
  // A first failure that already reaches `max` (max <= 1) locks on insert.
  const lockOnInsert = p.max <= 1;
  const rows = await queryRows<CounterRow>(
    tx,
    sql`
      insert into auth_throttles as a (key, failures, window_started_at, locked_until, lock_count, updated_at)
      values (${key}, ${lockOnInsert ? 0 : 1}, ${ts(now)},
              ${lockOnInsert ? sql`${ts(now)} + ${lockLength(sql`0`)}` : sql`null`},
              ${lockOnInsert ? 1 : 0}, ${ts(now)})
      on conflict (key) do update set
        failures = case when ${lockNow} then 0 else ${F} end,
        locked_until = case when ${lockNow} then ${ts(now)} + ${lockLength(LC)} else a.locked_until end,
        lock_count = case when ${lockNow} then ${LC} + 1 else ${LC} end,
        window_started_at = case when ${lockNow} or a.window_started_at <= ${windowStart}
                                 then ${ts(now)} else a.window_started_at end,
        updated_at = ${ts(now)}
      returning failures, locked_until, lock_count,
        -- Only a lock starting here leaves failures at 0: every other path stores F >= 1.
        coalesce(failures = 0 and locked_until > ${ts(now)}, false) as lock_started,
        coalesce(locked_until > ${ts(now)}, false) as locked`,
  );
  return rows[0]!;
}

/**
 * Counts a failed login against the email+IP pair and against the IP, in one transaction with
 * its audit events: `auth.login.failure` always, `auth.login.locked` when a lock starts.
 * `locked` is true when, after this failure, the pair is locked or the IP throttled.
 * The source IP in audit rows is `ctx.ip` (set by the caller); `input.ip` is also in the details.
 */
export async function recordLoginFailure(
  ctx: Ctx,
  input: { email: string; ip: string; accountId: string | null; now?: Date },
): Promise<{ locked: boolean }> {
  const settings = identitySettingsOf(ctx);
  const { lockout } = settings;
  const now = input.now ?? new Date();
  const h = throttleKeyForEmail(settings, input.email);
  const windowMs = lockout.windowMinutes * 60_000;
  const target = input.accountId ? { target: { type: "account", id: input.accountId } } : {};
  return withTransaction(ctx, async (tx, txCtx) => {
    // Always the pair first, then the IP: every transaction takes the row locks in the same order.
    const pair = await countFailure(tx, accountIpKey(h, input.ip), now, {
      max: lockout.maxFailures,
      windowMs,
      lockMs: lockout.lockMinutes * 60_000,
      maxLockMs: lockout.maxLockMinutes * 60_000,
      progressive: true,
    });
    const ip = await countFailure(tx, ipKey(input.ip), now, {
      max: lockout.ipMaxFailures,
      windowMs,
      lockMs: lockout.lockMinutes * 60_000,
      maxLockMs: lockout.lockMinutes * 60_000,
      progressive: false,
    });
    await emitAudit(tx, txCtx, {
      action: "auth.login.failure",
      outcome: "failure",
      workspaceId: null,
      ...target,
      details: { email_hash: h, ip: input.ip },
    });
    for (const [scope, state] of [
      ["account_ip", pair],
      ["ip", ip],
    ] as const) {
      if (!state.lock_started) continue;
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
          ...(scope === "account_ip" ? { email_hash: h } : {}),
        },
      });
    }
    return { locked: pair.locked || ip.locked };
  });
}

/**
 * A successful login clears the pair's failure count. Its `lock_count` stays, so a repeat offender
 * who guesses right once still gets a doubled lock next time, except that it decays to 0 when the
 * pair's last lock ended more than 24 hours ago. The IP counter is left alone: one valid credential
 * must not reset a spraying IP's count.
 */
export async function recordLoginSuccess(
  ctx: Ctx,
  input: { email: string; ip: string; now?: Date },
): Promise<void> {
  const h = throttleKeyForEmail(identitySettingsOf(ctx), input.email);
  const now = input.now ?? new Date();
  const decayBefore = ts(new Date(now.getTime() - LOCK_COUNT_DECAY_MS));
  await ctx.db.execute(
    sql`update auth_throttles set
          failures = 0,
          lock_count = case when locked_until is not null and locked_until < ${decayBefore}
                            then 0 else lock_count end,
          updated_at = ${ts(now)}
        where key = ${accountIpKey(h, input.ip)}`,
  );
}

/**
 * Admin verb: removes every lock and counter of an email, from every IP (`acct:<h>:*`; IP
 * throttles stay), audited as `auth.login.unlocked` by the ctx actor. The caller checks the
 * permission; `accountId`, when given, becomes the audit target.
 */
export async function unlockAccount(ctx: Ctx, input: { email: string; accountId?: string }): Promise<void> {
  const h = throttleKeyForEmail(identitySettingsOf(ctx), input.email);
  await withTransaction(ctx, async (tx, txCtx) => {
    // `h` is hex, so the pattern has no wildcard but the trailing one.
    const cleared = await tx
      .delete(authThrottles)
      .where(like(authThrottles.key, `acct:${h}:%`))
      .returning({ key: authThrottles.key });
    await emitAudit(tx, txCtx, {
      action: "auth.login.unlocked",
      outcome: "success",
      ...(input.accountId ? { target: { type: "account", id: input.accountId } } : {}),
      details: { email_hash: h, cleared: cleared.length },
    });
  });
}
