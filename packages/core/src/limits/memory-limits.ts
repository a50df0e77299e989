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

interface Window {
  count: number;
  resetAt: number;
}

/** Past this many counters, expired ones are swept (callers choose keys; memory must stay bounded). */
const SWEEP_AT = 50_000;

/** Limits for a single process (embedded mode, tests): fixed windows and slot counts in maps. */
export class MemoryLimits implements Limits {
  readonly settings: LimitSettings;
  private readonly windows = new Map<string, Window>();
  private readonly running = new Map<string, number>();
  private readonly now: () => number;

  constructor(settings: Partial<LimitSettings> = {}, now: () => number = Date.now) {
    this.settings = { ...DEFAULT_LIMIT_SETTINGS, ...settings };
    this.now = now;
  }

  async checkRequest(keyId: string, policy: RequestPolicy): Promise<LimitDecision> {
    const now = this.now();
    const checks = [
      { limit: "rpm" as const, max: effectiveLimit(policy.rpm, this.settings.defaultRpm), ms: MINUTE_MS },
      { limit: "rph" as const, max: effectiveLimit(policy.rph, this.settings.defaultRph), ms: HOUR_MS },
    ].filter((c) => c.max > 0);
    // Check every window before counting in any, so a refused request counts nowhere.
    for (const c of checks) {
      const w = this.live(`${c.limit}:${keyId}`, now);
      if (w && w.count >= c.max) {
        return { allowed: false, retryAfterSeconds: Math.ceil((w.resetAt - now) / 1000), limit: c.limit };
      }
    }
    for (const c of checks) this.increment(`${c.limit}:${keyId}`, c.ms, now);
    return { allowed: true, retryAfterSeconds: 0, limit: null };
  }

  async acquireGeneration(appId: string, max: number | null): Promise<ReleaseSlot> {
    const limit = effectiveLimit(max, this.settings.maxConcurrentPerApp);
    const taken = this.running.get(appId) ?? 0;
    if (limit > 0 && taken >= limit) throw concurrencyExceeded(limit);
    this.running.set(appId, taken + 1);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const left = (this.running.get(appId) ?? 1) - 1;
      if (left > 0) this.running.set(appId, left);
      else this.running.delete(appId);
    };
  }

  async countAuthFailure(subject: string): Promise<number> {
    const now = this.now();
    return this.increment(`authfail:${subject}`, this.settings.authFailureWindowSeconds * 1000, now).count;
  }

  private live(key: string, now: number): Window | null {
    const w = this.windows.get(key);
    return w && w.resetAt > now ? w : null;
  }

  private increment(key: string, ms: number, now: number): Window {
    let w = this.live(key, now);
    if (!w) {
      if (this.windows.size >= SWEEP_AT) this.sweep(now);
      w = { count: 0, resetAt: now + ms };
      this.windows.set(key, w);
    }
    w.count++;
    return w;
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }
}
