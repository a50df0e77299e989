import { sql } from "drizzle-orm";
import { randomInt } from "node:crypto";
import { executePrepared, USAGE_SHARDS, type Database } from "@enclave/db";
import { utcDay } from "../apps/usage.ts";

/** A finished message with everything the tables keep about it. */
export interface FinishedMessage {
  id: string;
  workspaceId: string;
  appId: string;
  appVersionId: string | null;
  endUserId: string;
  source: "api" | "web" | "openai" | "console";
  /** Null for messages outside a conversation (completion apps, the OpenAI endpoint). */
  conversation: {
    id: string;
    isNew: boolean;
    name: string | null;
    inputs: Record<string, unknown> | null;
  } | null;
  /** Null when the app keeps no content. */
  content: {
    inputs: Record<string, unknown>;
    query: string;
    answer: string;
    agentThoughts: unknown[] | null;
    retrieverResources: unknown[] | null;
  } | null;
  fileIds: string[];
  status: "normal" | "error" | "stopped";
  error: string | null;
  modelProvider: string;
  modelName: string;
  promptTokens: number;
  completionTokens: number;
  price: string | null;
  currency: string | null;
  latencyMs: number;
  firstTokenMs: number | null;
  createdAt: Date;
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Writes a finished message, creates or touches its conversation and adds its usage to the day's
 * totals — one statement, so it is atomic and costs one round trip on the hot path.
 */
export async function persistMessage(db: Database, m: FinishedMessage): Promise<void> {
  const c = m.content;
  const total = m.promptTokens + m.completionTokens;
  const conversation = m.conversation;
  const variant = !conversation ? "none" : conversation.isNew ? "new" : "touch";
  const conversationCte = !conversation
    ? sql`SELECT 1`
    : conversation.isNew
      ? sql`INSERT INTO conversations (id, workspace_id, app_id, end_user_id, app_version_id, name, inputs, created_at, updated_at)
            VALUES (${conversation.id}, ${m.workspaceId}, ${m.appId}, ${m.endUserId}, ${m.appVersionId},
                    ${conversation.name}, ${json(conversation.inputs)}::jsonb, ${m.createdAt}, now())
            RETURNING id`
      : sql`UPDATE conversations SET updated_at = now(), app_version_id = ${m.appVersionId}
            WHERE id = ${conversation.id} AND app_id = ${m.appId} RETURNING id`;
  // Prepared per variant: planning this statement cost the database more than running it.
  await executePrepared(
    db,
    `enclave_persist_message_${variant}`,
    sql`
    WITH conv AS (${conversationCte}),
    msg AS (
      INSERT INTO messages (id, workspace_id, app_id, conversation_id, end_user_id, app_version_id, source,
        inputs, query, answer, agent_thoughts, retriever_resources, file_ids, status, error,
        model_provider, model_name, prompt_tokens, completion_tokens, total_tokens, price, currency,
        latency_ms, first_token_ms, created_at, updated_at)
      VALUES (${m.id}, ${m.workspaceId}, ${m.appId}, ${conversation?.id ?? null}, ${m.endUserId},
        ${m.appVersionId}, ${m.source}, ${json(c?.inputs)}::jsonb, ${c?.query ?? null}, ${c?.answer ?? null},
        ${json(c?.agentThoughts)}::jsonb, ${json(c?.retrieverResources)}::jsonb, ${JSON.stringify(m.fileIds)}::jsonb,
        ${m.status}, ${m.error}, ${m.modelProvider}, ${m.modelName}, ${m.promptTokens}, ${m.completionTokens},
        ${total}, ${m.price}, ${m.currency}, ${m.latencyMs}, ${m.firstTokenMs}, ${m.createdAt}, now())
      RETURNING id
    )
    INSERT INTO app_usage_daily (workspace_id, app_id, day, shard, messages, errors, prompt_tokens, completion_tokens, total_tokens, price)
    VALUES (${m.workspaceId}, ${m.appId}, ${utcDay(m.createdAt)}, ${randomInt(USAGE_SHARDS)}, 1, ${m.status === "error" ? 1 : 0},
      ${m.promptTokens}, ${m.completionTokens}, ${total}, ${m.price ?? "0"})
    ON CONFLICT (app_id, day, shard) DO UPDATE SET
      messages = app_usage_daily.messages + 1,
      errors = app_usage_daily.errors + excluded.errors,
      prompt_tokens = app_usage_daily.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = app_usage_daily.completion_tokens + excluded.completion_tokens,
      total_tokens = app_usage_daily.total_tokens + excluded.total_tokens,
      price = app_usage_daily.price + excluded.price
  `,
  );
}
