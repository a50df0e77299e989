/*
 * Service API limits (ctx.services.limits): requests per minute / hour per app key, generations
 * running at once per app, and failed-authentication counters. Two implementations with the same
 * behaviour: in-memory (one process) and Redis (shared by every replica, atomic Lua scripts).
 *
 * How the chat runtime uses it — take a slot before calling the model, give it back in `finally`
 * (a failed or aborted generation must release too; a crashed replica's slots expire on their own):
 *
 *   const release = await acquireGenerationSlot(ctx, app);   // 429 too_many_requests when full
 *   try { ...generate / stream... } finally { await release(); }
 *
 * The rpm/rph check needs no call: the HTTP edge applies it to every `auth: "appKey"` route.
 */
import { AppError } from "../errors/app-error.ts";

/** An app's own limits; null takes the deployment default, 0 (in defaults) means unlimited. */
export interface RequestPolicy {
  rpm: number | null;
  rph: number | null;
}

export interface LimitDecision {
  allowed: boolean;
  /** Whole seconds until a refused request may succeed; 0 when allowed. */
  retryAfterSeconds: number;
  /** Which limit refused it. */
  limit: "rpm" | "rph" | null;
}

/** Gives a generation slot back; calling it again does nothing. */
export type ReleaseSlot = () => Promise<void>;

export interface LimitSettings {
  /** Per key, for apps without `apiRpm` / `apiRph`; 0 = unlimited. */
  defaultRpm: number;
  defaultRph: number;
  /** Per app, for apps without `maxConcurrentRequests`; 0 = unlimited. */
  maxConcurrentPerApp: number;
  /** How long a generation slot lives without renewal (a crashed replica's slots expire after it). */
  leaseTtlMs: number;
  /** Failed app-key authentications from one IP / against one key prefix that make an alert… */
  authFailureThreshold: number;
  /** …within this fixed window. */
  authFailureWindowSeconds: number;
}

export const DEFAULT_LIMIT_SETTINGS: LimitSettings = {
  defaultRpm: 600,
  defaultRph: 20_000,
  maxConcurrentPerApp: 100,
  leaseTtlMs: 60_000,
  authFailureThreshold: 20,
  authFailureWindowSeconds: 300,
};

export interface Limits {
  readonly settings: LimitSettings;
  /** Counts one request of `keyId` unless it is over its per-minute or per-hour limit. */
  checkRequest(keyId: string, policy: RequestPolicy): Promise<LimitDecision>;
  /** Takes one of `appId`'s generation slots, or throws `rate_limited` when all are taken. */
  acquireGeneration(appId: string, max: number | null): Promise<ReleaseSlot>;
  /** Counts a failed authentication of `subject`; returns the count in its current window. */
  countAuthFailure(subject: string): Promise<number>;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** The effective limit: the app's own, else the default; 0 = unlimited. */
export function effectiveLimit(own: number | null, fallback: number): number {
  return own ?? fallback;
}

/** A 429 whose Retry-After header the HTTP edge sets from `details.retryAfterSeconds`. */
export function rateLimited(retryAfterSeconds: number, message: string): AppError {
  return new AppError("rate_limited", message, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  });
}

export function concurrencyExceeded(max: number): AppError {
  return rateLimited(1, `this app is already answering ${max} requests at once; try again shortly`);
}

export function retryAfterOf(err: unknown): number | null {
  if (!(err instanceof AppError) || err.code !== "rate_limited") return null;
  const details = err.details as { retryAfterSeconds?: unknown } | undefined;
  return typeof details?.retryAfterSeconds === "number" ? details.retryAfterSeconds : null;
}
