import { auditEvents, type Transaction } from "@enclave/db";
import { actorId, type Ctx } from "../context/ctx.ts";
import { redactDeep } from "../log/redact.ts";

export interface AuditEventInput {
  /** Dotted verb, e.g. `member.invite`, `auth.login.failure`. */
  action: string;
  target?: { type: string; id: string };
  outcome?: "success" | "failure" | "denied";
  /** Small, non-secret facts; keys that name a secret are redacted before writing. */
  details?: Record<string, unknown>;
  /** Defaults to the ctx workspace; set for events about a workspace the actor is not in yet. */
  workspaceId?: string | null;
}

/**
 * Writes an audit event inside the caller's transaction: if this insert fails, the action it
 * records rolls back with it.
 */
export async function emitAudit(tx: Transaction, ctx: Ctx, event: AuditEventInput): Promise<void> {
  await tx.insert(auditEvents).values({
    workspaceId: event.workspaceId === undefined ? (ctx.workspace?.id ?? null) : event.workspaceId,
    actorType: ctx.actor.type,
    actorId: actorId(ctx.actor),
    ip: ctx.ip,
    userAgent: ctx.userAgent?.slice(0, 512) ?? null,
    action: event.action,
    targetType: event.target?.type ?? null,
    targetId: event.target?.id ?? null,
    outcome: event.outcome ?? "success",
    requestId: ctx.requestId,
    details: (redactDeep(event.details ?? {}) as Record<string, unknown>) ?? {},
  });
}
