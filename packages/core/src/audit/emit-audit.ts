import { uuidv7 } from "uuidv7";
import type { Transaction } from "@enclave/db";
import { actorId, type Ctx } from "../context/ctx.ts";
import { onBeforeCommit } from "../context/transaction.ts";
import { redactDeep } from "../log/redact.ts";
import { appendAuditEvents, type AuditRowInput } from "./chain.ts";

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

const pending = new WeakMap<object, AuditRowInput[]>();

/**
 * Records an audit event in the caller's transaction. The event joins the hash chain just before
 * COMMIT (so the chain lock is the last lock the transaction takes); if that append fails, the
 * action it records rolls back with it.
 */
export async function emitAudit(tx: Transaction, ctx: Ctx, event: AuditEventInput): Promise<void> {
  const row = auditRow(ctx, event);
  const queued = pending.get(tx);
  if (queued) {
    queued.push(row);
    return;
  }
  const batch = [row];
  if (
    onBeforeCommit(tx, async () => {
      pending.delete(tx);
      await appendAuditEvents(tx, batch);
    })
  ) {
    pending.set(tx, batch);
    return;
  }
  // A transaction not opened by withTransaction: append right away.
  await appendAuditEvents(tx, batch);
}

function auditRow(ctx: Ctx, event: AuditEventInput): AuditRowInput {
  return {
    id: uuidv7(),
    createdAt: new Date(),
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
  };
}
