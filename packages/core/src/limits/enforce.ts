import type { Ctx } from "../context/ctx.ts";
import { recordAudit } from "../audit/emit-audit.ts";
import { loadServingApp, type ServingApp } from "../apps/serving.ts";
import { rateLimited, type ReleaseSlot } from "./limits.ts";

/**
 * Counts this service API request against its key's per-minute and per-hour limits; throws
 * `rate_limited` (429, with the seconds to wait) when over. No-op without a limits service.
 */
export async function enforceRequestLimits(ctx: Ctx): Promise<void> {
  const limits = ctx.services.limits;
  if (!limits) return;
  let decision;
  if (ctx.actor.type === "apiKey") {
    const app = await loadServingApp(ctx, "api");
    decision = await limits.checkRequest(ctx.actor.keyId, app.limits);
  } else if (ctx.actor.type === "datasetKey") {
    // Knowledge keys have no app of their own: the deployment's defaults apply.
    decision = await limits.checkRequest(`dataset:${ctx.actor.keyId}`, { rpm: null, rph: null });
  } else {
    return;
  }
  if (decision.allowed) return;
  const per = decision.limit === "rph" ? "hour" : "minute";
  throw rateLimited(decision.retryAfterSeconds, `too many requests for this API key per ${per}; slow down`);
}

/**
 * Takes one of the app's concurrent-generation slots (`maxConcurrentRequests`, else the deployment
 * default); throws `rate_limited` when all are taken. Always call the returned release in `finally`.
 */
export async function acquireGenerationSlot(ctx: Ctx, app: ServingApp): Promise<ReleaseSlot> {
  const limits = ctx.services.limits;
  if (!limits) return async () => {};
  return limits.acquireGeneration(app.id, app.limits.maxConcurrent);
}

/**
 * Counts one failed app-key authentication against the caller's IP and, when the token looked like
 * a key, against its shown prefix (`app-AbCd`, never more of it). The failure that reaches the
 * threshold within a window writes one `auth.api_key.failure_burst` audit event for that window.
 */
export async function recordAppKeyFailure(ctx: Ctx, attempt: { keyPrefix: string | null }): Promise<void> {
  const limits = ctx.services.limits;
  if (!limits) return;
  const { authFailureThreshold: threshold, authFailureWindowSeconds: window } = limits.settings;
  const subjects: { subject: string; details: Record<string, unknown> }[] = [];
  if (ctx.ip) subjects.push({ subject: `ip:${ctx.ip}`, details: { ip: ctx.ip } });
  if (attempt.keyPrefix) {
    subjects.push({
      subject: `key:${attempt.keyPrefix}`,
      details: { keyPrefix: attempt.keyPrefix, ip: ctx.ip },
    });
  }
  for (const { subject, details } of subjects) {
    const count = await limits.countAuthFailure(subject);
    if (count !== threshold) continue;
    await recordAudit(ctx, {
      action: "auth.api_key.failure_burst",
      outcome: "failure",
      workspaceId: null,
      details: { ...details, count, window },
    });
  }
}
