import { and, eq, inArray, isNotNull, lt, notExists } from "drizzle-orm";
import { apps, conversations, messages } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";

export interface PurgeOptions {
  /** Rows deleted per statement. */
  batchSize?: number;
  /** Statements per app and kind per run; what is left waits for the next run. */
  maxBatches?: number;
}

export interface PurgeResult {
  apps: number;
  messages: number;
  conversations: number;
}

const DAY_MS = 86_400_000;

/**
 * Deletes, for every app with `retention_days` set, its messages created before now − retention
 * (feedback goes with them) and then its conversations started before that with no message left.
 * Usage totals (app_usage_daily) are kept. Each app is purged in its own transaction with one
 * summary audit event, so no deletion goes unrecorded. System actor only (the purge job).
 */
export async function purgeExpiredConversations(
  ctx: Ctx,
  now: Date = new Date(),
  opts: PurgeOptions = {},
): Promise<PurgeResult> {
  if (ctx.actor.type !== "system") throw new AppError("forbidden", "the retention purge runs as a job");
  const batchSize = opts.batchSize ?? 1000;
  const maxBatches = opts.maxBatches ?? 50;
  const candidates = await ctx.db
    .select({ id: apps.id, workspaceId: apps.workspaceId, retentionDays: apps.retentionDays })
    .from(apps)
    .where(
      and(isNotNull(apps.retentionDays), ...(ctx.workspace ? [eq(apps.workspaceId, ctx.workspace.id)] : [])),
    );
  const result: PurgeResult = { apps: 0, messages: 0, conversations: 0 };
  for (const app of candidates) {
    const cutoff = new Date(now.getTime() - app.retentionDays! * DAY_MS);
    const purged = await withTransaction(ctx, async (tx, txCtx) => {
      let messageCount = 0;
      let conversationCount = 0;
      let complete = true;
      for (let i = 0; ; i++) {
        if (i === maxBatches) {
          complete = false;
          break;
        }
        const doomed = tx
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.appId, app.id), lt(messages.createdAt, cutoff)))
          .limit(batchSize);
        const deleted = await tx
          .delete(messages)
          .where(inArray(messages.id, doomed))
          .returning({ id: messages.id });
        messageCount += deleted.length;
        if (deleted.length < batchSize) break;
      }
      for (let i = 0; complete; i++) {
        if (i === maxBatches) {
          complete = false;
          break;
        }
        const doomed = tx
          .select({ id: conversations.id })
          .from(conversations)
          .where(
            and(
              eq(conversations.appId, app.id),
              lt(conversations.createdAt, cutoff),
              notExists(
                tx
                  .select({ id: messages.id })
                  .from(messages)
                  .where(eq(messages.conversationId, conversations.id)),
              ),
            ),
          )
          .limit(batchSize);
        const deleted = await tx
          .delete(conversations)
          .where(inArray(conversations.id, doomed))
          .returning({ id: conversations.id });
        conversationCount += deleted.length;
        if (deleted.length < batchSize) break;
      }
      if (messageCount + conversationCount > 0) {
        await emitAudit(tx, txCtx, {
          action: "app.retention.purge",
          workspaceId: app.workspaceId,
          target: { type: "app", id: app.id },
          details: {
            retentionDays: app.retentionDays,
            cutoff: cutoff.toISOString(),
            messages: messageCount,
            conversations: conversationCount,
            complete,
          },
        });
      }
      return { messages: messageCount, conversations: conversationCount };
    });
    if (purged.messages + purged.conversations > 0) result.apps += 1;
    result.messages += purged.messages;
    result.conversations += purged.conversations;
  }
  return result;
}
