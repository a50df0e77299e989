import { uuidv7 } from "uuidv7";
import { is } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { Transaction } from "@enclave/db";
import { actorId, type Ctx } from "../context/ctx.ts";
import { inTransaction, onAfterCommit, onBeforeCommit } from "../context/transaction.ts";
import { appendToChain, chainCommitted } from "./sequencer.ts";
import { redactDeep } from "../log/redact.ts";
import { appendAuditEvents, insertIntoInbox, type AuditRowInput } from "./chain.ts";

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
 * Records an audit event in the caller's transaction: just before COMMIT the transaction's events
 * go to the audit inbox (so if that insert fails, the action rolls back with it, and once the
 * action is committed so is its event). After COMMIT they are handed to the sequencer, which
 * chains them into audit_events in its next run, batching concurrent transactions together; the
 * transaction does not wait for that. Readers of the chain call flushAuditInbox first.
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
      await insertIntoInbox(tx, batch);
    })
  ) {
    pending.set(tx, batch);
    onAfterCommit(tx, async (db) => {
      // Durable in the inbox from here on; the sequencer chains it shortly, and readers of the
      // chain flush first. If that run fails, the next flush (any process, or the checkpoint
      // timer) chains it.
      chainCommitted(db, batch, (err) =>
        ctx.log.error({ err }, "audit sequencer failed; events stay queued in audit_inbox"),
      );
    });
    return;
  }
  // A transaction not opened by withTransaction: chain right away, under the head lock.
  await appendAuditEvents(tx, batch);
}

/**
 * Records an event that belongs to no business transaction — a permission denial, a refused
 * password change, an API-key failure burst, a secret-store outage: it is chained by the next
 * sequencer run, which concurrent callers share (one
 * transaction and one commit for a burst), and this resolves once it is committed. Inside a
 * transaction it joins that transaction, as emitAudit does.
 */
export async function recordAudit(ctx: Ctx, event: AuditEventInput): Promise<void> {
  if (inTransaction(ctx) || is(ctx.db, PgTransaction)) return emitAudit(ctx.db as Transaction, ctx, event);
  await appendToChain(ctx.db, [auditRow(ctx, event)]);
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
