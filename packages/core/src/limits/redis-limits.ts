import { createHash, randomUUID } from "node:crypto";
import { AppError } from "../errors/app-error.ts";
import {
  concurrencyExceeded,
  DEFAULT_LIMIT_SETTINGS,
  effectiveLimit,
  HOUR_MS,
  MINUTE_MS,
  type LimitDecision,
  type Limits,
  type LimitSettings,
  type ReleaseSlot,
  type RequestPolicy,
} from "./limits.ts";

/** The Redis commands these limits use; an ioredis client satisfies it. */
export interface RedisEval {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

const shas = new Map<string, string>();
function sha1(script: string): string {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash("sha1").update(script).digest("hex")));
  return sha;
}

/** Runs a script by its SHA (no script text on the hot path), loading it on NOSCRIPT. */
// Redis unreachable: limits cannot be decided, so the request is refused (fail closed) with a
// clear 503 the client may retry, rather than a 500 or a request that skips its limits.
// The store's own message (host, port) stays out of the answer.
function storeDown(err: unknown): AppError {
  const refused = new AppError("not_ready", "the rate-limit store is unavailable; try again shortly");
  refused.cause = err;
  return refused;
}

async function run(redis: RedisEval, script: string, keys: number, ...args: (string | number)[]) {
  try {
    return await redis.evalsha(sha1(script), keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).startsWith("NOSCRIPT")) throw storeDown(err);
  }
  try {
    return await redis.eval(script, keys, ...args);
  } catch (err) {
    throw storeDown(err);
  }
}

const PREFIX = "enclave:lim:";

// KEYS: minute counter, hour counter. ARGV: rpm, rph (0 = unlimited). Checks both windows before
// counting in either, so a refused request counts nowhere. Returns {allowed, retry ms, which}.
const CHECK_REQUEST = `
local limits = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local windows = { ${MINUTE_MS}, ${HOUR_MS} }
for i = 1, 2 do
  if limits[i] > 0 then
    local n = tonumber(redis.call('GET', KEYS[i]) or '0')
    if n >= limits[i] then
      local ttl = redis.call('PTTL', KEYS[i])
      if ttl < 0 then redis.call('PEXPIRE', KEYS[i], windows[i]); ttl = windows[i] end
      return { 0, ttl, i }
    end
  end
end
for i = 1, 2 do
  if limits[i] > 0 then
    if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], windows[i]) end
  end
end
return { 1, 0, 0 }`;

// KEYS: the app's lease set (member = lease id, score = expiry in Redis time). ARGV: max, ttl ms,
// lease id. Expired leases (a crashed replica's) are dropped first.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local max = tonumber(ARGV[1])
if max > 0 and redis.call('ZCARD', KEYS[1]) >= max then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1`;

// Extends a live lease (XX: never re-creates one that expired or was released).
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 1`;

const RELEASE = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

// KEYS: the failure counter. ARGV: window ms. Fixed window from the first failure.
const COUNT_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return n`;

/**
 * Limits shared by every replica through one Redis. Each decision is one Lua script, so concurrent
 * requests on different replicas never both take the last slot. Keys use a hash tag per key/app
 * so the scripts also run on Redis Cluster.
 */
export class RedisLimits implements Limits {
  readonly settings: LimitSettings;
  private readonly redis: RedisEval;

  constructor(redis: RedisEval, settings: Partial<LimitSettings> = {}) {
    this.redis = redis;
    this.settings = { ...DEFAULT_LIMIT_SETTINGS, ...settings };
  }

  async checkRequest(keyId: string, policy: RequestPolicy): Promise<LimitDecision> {
    const rpm = effectiveLimit(policy.rpm, this.settings.defaultRpm);
    const rph = effectiveLimit(policy.rph, this.settings.defaultRph);
    if (rpm <= 0 && rph <= 0) return { allowed: true, retryAfterSeconds: 0, limit: null };
    const tag = `${PREFIX}{key:${keyId}}`;
    const [allowed, ttl, which] = (await run(
      this.redis,
      CHECK_REQUEST,
      2,
      `${tag}:m`,
      `${tag}:h`,
      rpm,
      rph,
    )) as [number, number, number];
    if (allowed === 1) return { allowed: true, retryAfterSeconds: 0, limit: null };
    return { allowed: false, retryAfterSeconds: Math.ceil(ttl / 1000), limit: which === 1 ? "rpm" : "rph" };
  }

  async acquireGeneration(appId: string, max: number | null): Promise<ReleaseSlot> {
    const limit = effectiveLimit(max, this.settings.maxConcurrentPerApp);
    if (limit <= 0) return async () => {};
    const key = `${PREFIX}{app:${appId}}:gen`;
    const lease = randomUUID();
    const ttl = this.settings.leaseTtlMs;
    const ok = await run(this.redis, ACQUIRE, 1, key, limit, ttl, lease);
    if (ok !== 1) throw concurrencyExceeded(limit);
    // Renewed while the generation runs; if this process dies, the lease lapses after `ttl`.
    const timer = setInterval(
      () => {
        run(this.redis, RENEW, 1, key, ttl, lease).catch(() => undefined);
      },
      Math.max(1000, Math.floor(ttl / 3)),
    );
    timer.unref();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await run(this.redis, RELEASE, 1, key, lease);
    };
  }

  async countAuthFailure(subject: string): Promise<number> {
    const key = `${PREFIX}authfail:{${subject}}`;
    const n = await run(this.redis, COUNT_FAILURE, 1, key, this.settings.authFailureWindowSeconds * 1000);
    return Number(n);
  }
}
