import { and, asc, count, desc, eq, gte, lt, sql, type Column, type SQL } from "drizzle-orm";
import {
  ConversationLogQuery,
  MessageLogQuery,
  type ConversationLogView,
  type MessageLogView,
  type Page,
} from "@enclave/contracts";
import { conversations, endUsers, messageFeedbacks, messages, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { requireUser } from "../identity/actor.ts";
import { loadAppRow, type AppRow } from "./app-rows.ts";
import { mayReadLogs } from "./log-access.ts";

type Denied = { denied: true };

/**
 * Runs a log read for one app: checks the app's log visibility for the reader, and writes the
 * `app.logs.view` audit event in the same transaction as the read, so logs are never returned
 * without their audit row. A refusal is audited too (committed) before `forbidden` is thrown.
 */
async function readLogs<T>(
  ctx: Ctx,
  appId: string,
  endpoint: "conversations" | "messages",
  read: (tx: Transaction, app: AppRow) => Promise<{ result: T; details: Record<string, unknown> }>,
): Promise<T> {
  requirePermission(ctx, "app.read");
  const reader = requireUser(ctx);
  const outcome = await withTransaction(ctx, async (tx, txCtx): Promise<{ result: T } | Denied> => {
    const app = await loadAppRow(tx, txCtx, appId);
    const target = { type: "app", id: app.id };
    if (!mayReadLogs({ accountId: reader.accountId, role: reader.role }, app)) {
      await emitAudit(tx, txCtx, {
        action: "app.logs.view",
        target,
        outcome: "denied",
        details: { endpoint, logVisibility: app.logVisibility },
      });
      return { denied: true };
    }
    const { result, details } = await read(tx, app);
    await emitAudit(tx, txCtx, { action: "app.logs.view", target, details: { endpoint, ...details } });
    return { result };
  });
  if ("denied" in outcome) {
    throw new AppError("forbidden", "this app's conversation logs are not visible to you");
  }
  return outcome.result;
}

function range(column: Column, from?: Date, to?: Date): SQL[] {
  return [...(from ? [gte(column, from)] : []), ...(to ? [lt(column, to)] : [])];
}

function page<T>(data: T[], q: { page: number; limit: number }, total: number): Page<T> {
  return { data, page: q.page, limit: q.limit, total, hasMore: q.page * q.limit < total };
}

/** An app's conversations, newest first (`GET /console/api/apps/{id}/conversations`). */
export async function listAppConversations(
  ctx: Ctx,
  appId: string,
  raw: ConversationLogQuery,
): Promise<Page<ConversationLogView>> {
  const q = ConversationLogQuery.parse(raw);
  return readLogs(ctx, appId, "conversations", async (tx, app) => {
    const where = and(
      eq(conversations.appId, app.id),
      eq(conversations.workspaceId, app.workspaceId),
      ...(q.end_user ? [eq(endUsers.externalId, q.end_user)] : []),
      ...range(conversations.createdAt, q.from, q.to),
    );
    const messageCount = sql<number>`(select count(*) from ${messages} where ${messages.conversationId} = ${conversations.id})`;
    const rows = await tx
      .select({
        id: conversations.id,
        endUser: endUsers.externalId,
        name: conversations.name,
        messageCount: messageCount.mapWith(Number),
        createdAt: conversations.createdAt,
        updatedAt: conversations.updatedAt,
      })
      .from(conversations)
      .innerJoin(endUsers, eq(endUsers.id, conversations.endUserId))
      .where(where)
      .orderBy(desc(conversations.createdAt), desc(conversations.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit);
    const [total] = await tx
      .select({ n: count() })
      .from(conversations)
      .innerJoin(endUsers, eq(endUsers.id, conversations.endUserId))
      .where(where);
    const data = rows.map((r) => ({
      ...r,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }));
    return { result: page(data, q, total?.n ?? 0), details: { count: data.length, page: q.page } };
  });
}

/**
 * An app's messages (`GET /console/api/apps/{id}/messages`): one conversation's, oldest first, or
 * with no `conversation_id` all of them (completion apps have no conversations), newest first.
 */
export async function listAppMessages(
  ctx: Ctx,
  appId: string,
  raw: MessageLogQuery,
): Promise<Page<MessageLogView>> {
  const q = MessageLogQuery.parse(raw);
  return readLogs(ctx, appId, "messages", async (tx, app) => {
    if (q.conversation_id) {
      const [conversation] = await tx
        .select({ id: conversations.id })
        .from(conversations)
        .where(and(eq(conversations.id, q.conversation_id), eq(conversations.appId, app.id)))
        .limit(1);
      if (!conversation) throw new AppError("not_found", "conversation not found");
    }
    const where = and(
      eq(messages.appId, app.id),
      eq(messages.workspaceId, app.workspaceId),
      ...(q.conversation_id ? [eq(messages.conversationId, q.conversation_id)] : []),
      ...(q.end_user ? [eq(endUsers.externalId, q.end_user)] : []),
      ...range(messages.createdAt, q.from, q.to),
    );
    const order = q.conversation_id
      ? [asc(messages.createdAt), asc(messages.id)]
      : [desc(messages.createdAt), desc(messages.id)];
    const rows = await tx
      .select({ m: messages, endUser: endUsers.externalId, fb: messageFeedbacks })
      .from(messages)
      .innerJoin(endUsers, eq(endUsers.id, messages.endUserId))
      .leftJoin(
        messageFeedbacks,
        and(eq(messageFeedbacks.messageId, messages.id), eq(messageFeedbacks.endUserId, messages.endUserId)),
      )
      .where(where)
      .orderBy(...order)
      .limit(q.limit)
      .offset((q.page - 1) * q.limit);
    const [total] = await tx
      .select({ n: count() })
      .from(messages)
      .innerJoin(endUsers, eq(endUsers.id, messages.endUserId))
      .where(where);
    const data = rows.map(({ m, endUser, fb }): MessageLogView => ({
      id: m.id,
      conversationId: m.conversationId,
      endUser,
      source: m.source,
      query: m.query,
      answer: m.answer,
      inputs: m.inputs,
      status: m.status,
      error: m.error,
      model: { provider: m.modelProvider, name: m.modelName },
      tokens: { prompt: m.promptTokens, completion: m.completionTokens, total: m.totalTokens },
      price: m.price === null ? null : { amount: m.price, currency: m.currency },
      latencyMs: m.latencyMs,
      feedback: fb ? { rating: fb.rating, content: fb.content } : null,
      createdAt: m.createdAt.toISOString(),
    }));
    return {
      result: page(data, q, total?.n ?? 0),
      details: {
        count: data.length,
        page: q.page,
        ...(q.conversation_id ? { conversationId: q.conversation_id } : {}),
      },
    };
  });
}
