import { and, asc, desc, eq, gt, inArray, lt, or, type SQL } from "drizzle-orm";
import { isUuid } from "../context/ids.ts";
import {
  ConversationsQuery,
  DEFAULT_END_USER,
  DeleteConversationRequest,
  FeedbackRequest,
  MessagesQuery,
  RenameConversationRequest,
} from "@enclave/contracts";
import { conversations, messageFeedbacks, messages } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { loadServingApp, type ServingApp } from "../apps/serving.ts";
import { existingEndUser } from "../apps/end-users.ts";
import { titleOf } from "./send-message.ts";

async function findEndUser(ctx: Ctx, appId: string, externalId: string): Promise<string | null> {
  return (await existingEndUser(ctx, appId, externalId))?.id ?? null;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

export interface ConversationItem {
  id: string;
  name: string;
  inputs: Record<string, unknown>;
  status: "normal";
  introduction: string;
  created_at: number;
  updated_at: number;
}

type ConversationRow = typeof conversations.$inferSelect;

function toItem(app: ServingApp, row: ConversationRow): ConversationItem {
  return {
    id: row.id,
    name: row.name ?? "",
    inputs: row.inputs ?? {},
    status: "normal",
    introduction: app.config.openingStatement,
    created_at: seconds(row.createdAt),
    updated_at: seconds(row.updatedAt),
  };
}

async function chatApp(ctx: Ctx): Promise<ServingApp> {
  const app = await loadServingApp(ctx, ctx.actor.type === "endUser" ? "web" : "api");
  if (app.mode === "completion") throw new AppError("not_chat_app", "this is not a chat app");
  return app;
}

async function ownConversation(ctx: Ctx, app: ServingApp, user: string | undefined, id: string) {
  const endUserId = await findEndUser(ctx, app.id, user ?? DEFAULT_END_USER);
  if (!endUserId || !isUuid(id)) throw new AppError("not_found", "Conversation Not Exists.");
  const [row] = await ctx.db
    .select()
    .from(conversations)
    .where(
      and(eq(conversations.id, id), eq(conversations.appId, app.id), eq(conversations.endUserId, endUserId)),
    )
    .limit(1);
  if (!row) throw new AppError("not_found", "Conversation Not Exists.");
  return { row, endUserId };
}

/** `GET /conversations`: the caller's own conversations with the app, newest activity first. */
export async function listConversations(ctx: Ctx, raw: unknown) {
  const q = ConversationsQuery.parse(raw);
  const app = await chatApp(ctx);
  const endUserId = await findEndUser(ctx, app.id, q.user ?? DEFAULT_END_USER);
  if (!endUserId || q.pinned === "true") return { limit: q.limit, has_more: false, data: [] };
  const column = q.sort_by.endsWith("created_at") ? conversations.createdAt : conversations.updatedAt;
  const descending = q.sort_by.startsWith("-");
  const filters: SQL[] = [eq(conversations.appId, app.id), eq(conversations.endUserId, endUserId)];
  if (q.last_id) {
    const { row } = await ownConversation(ctx, app, q.user, q.last_id);
    const at = column === conversations.createdAt ? row.createdAt : row.updatedAt;
    const after = descending
      ? or(lt(column, at), and(eq(column, at), lt(conversations.id, row.id)))
      : or(gt(column, at), and(eq(column, at), gt(conversations.id, row.id)));
    filters.push(after!);
  }
  const order = descending ? [desc(column), desc(conversations.id)] : [asc(column), asc(conversations.id)];
  const rows = await ctx.db
    .select()
    .from(conversations)
    .where(and(...filters))
    .orderBy(...order)
    .limit(q.limit + 1);
  return {
    limit: q.limit,
    has_more: rows.length > q.limit,
    data: rows.slice(0, q.limit).map((r) => toItem(app, r)),
  };
}

/** `DELETE /conversations/{id}`: the caller's own conversation and its messages. */
export async function deleteConversation(ctx: Ctx, id: string, raw: unknown): Promise<void> {
  const input = DeleteConversationRequest.parse(raw ?? {});
  const app = await chatApp(ctx);
  const { row } = await ownConversation(ctx, app, input.user, id);
  await withTransaction(ctx, async (tx, txCtx) => {
    await tx.delete(conversations).where(and(eq(conversations.id, row.id), eq(conversations.appId, app.id)));
    await emitAudit(tx, txCtx, {
      action: "conversation.delete",
      target: { type: "conversation", id: row.id },
      details: { appId: app.id },
    });
  });
}

/** `POST /conversations/{id}/name`: renames, or names it after its first question. */
export async function renameConversation(ctx: Ctx, id: string, raw: unknown): Promise<ConversationItem> {
  const input = RenameConversationRequest.parse(raw);
  const app = await chatApp(ctx);
  const { row } = await ownConversation(ctx, app, input.user, id);
  if (!app.retainContent)
    throw new AppError("conflict", "this app keeps no conversation content, names included");
  let name = input.name ?? "";
  if (input.auto_generate) {
    const [first] = await ctx.db
      .select({ query: messages.query })
      .from(messages)
      .where(eq(messages.conversationId, row.id))
      .orderBy(asc(messages.createdAt))
      .limit(1);
    name = titleOf(first?.query ?? "");
  }
  const [updated] = await ctx.db
    .update(conversations)
    .set({ name })
    .where(and(eq(conversations.id, row.id), eq(conversations.appId, app.id)))
    .returning();
  return toItem(app, updated!);
}

/** `GET /messages`: a conversation's messages, oldest first; `first_id` pages back in time. */
export async function listMessages(ctx: Ctx, raw: unknown) {
  const q = MessagesQuery.parse(raw);
  const app = await chatApp(ctx);
  const { row: conversation } = await ownConversation(ctx, app, q.user, q.conversation_id);
  const filters: SQL[] = [eq(messages.conversationId, conversation.id), eq(messages.appId, app.id)];
  if (q.first_id) {
    if (!isUuid(q.first_id)) throw new AppError("not_found", "First Message Not Exists.");
    const [first] = await ctx.db
      .select({ id: messages.id, createdAt: messages.createdAt })
      .from(messages)
      .where(and(eq(messages.id, q.first_id), eq(messages.conversationId, conversation.id)))
      .limit(1);
    if (!first) throw new AppError("not_found", "First Message Not Exists.");
    filters.push(
      or(
        lt(messages.createdAt, first.createdAt),
        and(eq(messages.createdAt, first.createdAt), lt(messages.id, first.id)),
      )!,
    );
  }
  const rows = await ctx.db
    .select()
    .from(messages)
    .where(and(...filters))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit).reverse();
  const feedback = page.length
    ? await ctx.db
        .select({ messageId: messageFeedbacks.messageId, rating: messageFeedbacks.rating })
        .from(messageFeedbacks)
        .where(
          inArray(
            messageFeedbacks.messageId,
            page.map((m) => m.id),
          ),
        )
    : [];
  const ratings = new Map(feedback.map((f) => [f.messageId, f.rating]));
  return {
    limit: q.limit,
    has_more: rows.length > q.limit,
    data: page.map((m) => ({
      id: m.id,
      conversation_id: m.conversationId,
      parent_message_id: null,
      inputs: m.inputs ?? {},
      query: m.query ?? "",
      answer: m.answer ?? "",
      status: m.status,
      error: m.error,
      message_files: m.fileIds.map((id) => ({ id, belongs_to: "user" })),
      feedback: ratings.has(m.id) ? { rating: ratings.get(m.id) } : null,
      retriever_resources: m.retrieverResources ?? [],
      agent_thoughts: (m.agentThoughts ?? []).map((t) => thoughtView(m.id, m.createdAt, t)),
      created_at: seconds(m.createdAt),
      message_tokens: m.promptTokens,
      answer_tokens: m.completionTokens,
      total_tokens: m.totalTokens,
      provider_response_latency: (m.latencyMs ?? 0) / 1000,
      total_price: m.price,
      currency: m.currency,
    })),
  };
}

function thoughtView(messageId: string, at: Date, raw: unknown) {
  const t = raw as {
    position: number;
    thought: string;
    tool: string;
    toolInput: string;
    observation: string;
  };
  return {
    id: `${messageId}-${t.position}`,
    chain_id: null,
    message_id: messageId,
    position: t.position,
    thought: t.thought,
    tool: t.tool,
    tool_labels: {},
    tool_input: t.toolInput,
    observation: t.observation,
    files: [],
    created_at: seconds(at),
  };
}

/** `POST /messages/{id}/feedbacks`: like / dislike (null revokes) by the end user who got it. */
export async function submitFeedback(ctx: Ctx, messageId: string, raw: unknown): Promise<void> {
  const input = FeedbackRequest.parse(raw);
  const app = await loadServingApp(ctx, ctx.actor.type === "endUser" ? "web" : "api");
  const endUserId = await findEndUser(ctx, app.id, input.user ?? DEFAULT_END_USER);
  if (!endUserId || !isUuid(messageId)) throw new AppError("not_found", "Message Not Exists.");
  const [message] = await ctx.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.appId, app.id), eq(messages.endUserId, endUserId)))
    .limit(1);
  if (!message) throw new AppError("not_found", "Message Not Exists.");
  if (input.rating === null) {
    await ctx.db
      .delete(messageFeedbacks)
      .where(and(eq(messageFeedbacks.messageId, message.id), eq(messageFeedbacks.endUserId, endUserId)));
    return;
  }
  const content = app.retainContent ? (input.content ?? null) : null;
  await ctx.db
    .insert(messageFeedbacks)
    .values({
      workspaceId: app.workspaceId,
      appId: app.id,
      messageId: message.id,
      endUserId,
      rating: input.rating,
      content,
    })
    .onConflictDoUpdate({
      target: [messageFeedbacks.messageId, messageFeedbacks.endUserId],
      set: { rating: input.rating, content, updatedAt: new Date() },
    });
}
