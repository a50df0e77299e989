import {
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";
import { apps, appVersions } from "./apps.ts";
import { workspaces } from "./workspaces.ts";

/** Someone talking to an app, named by the caller's `user` string (Dify semantics: per app). */
export const endUsers = pgTable(
  "end_users",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    /** Where this end user came from: the service API, the published web app, the OpenAI endpoint. */
    source: text("source", { enum: ["api", "web", "openai", "console"] })
      .notNull()
      .default("api"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("end_users_app_external_uq").on(t.appId, t.externalId)],
);

export const conversations = pgTable(
  "conversations",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    endUserId: uuid("end_user_id")
      .notNull()
      .references(() => endUsers.id, { onDelete: "cascade" }),
    appVersionId: uuid("app_version_id").references(() => appVersions.id, { onDelete: "set null" }),
    /** Null when the app keeps no content. */
    name: text("name"),
    inputs: jsonb("inputs").$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("conversations_app_user_idx").on(t.appId, t.endUserId, t.updatedAt),
    index("conversations_app_created_idx").on(t.appId, t.createdAt),
  ],
);

export const MESSAGE_STATUSES = ["running", "normal", "error", "stopped"] as const;

/**
 * One exchange: query in, answer out, with what it cost. When the app keeps no content, `query`,
 * `answer`, `inputs` and `agentThoughts` stay null and only the accounting is stored.
 */
export const messages = pgTable(
  "messages",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    conversationId: uuid("conversation_id").references(() => conversations.id, { onDelete: "cascade" }),
    endUserId: uuid("end_user_id")
      .notNull()
      .references(() => endUsers.id, { onDelete: "cascade" }),
    appVersionId: uuid("app_version_id").references(() => appVersions.id, { onDelete: "set null" }),
    source: text("source", { enum: ["api", "web", "openai", "console"] }).notNull(),
    inputs: jsonb("inputs").$type<Record<string, unknown>>(),
    query: text("query"),
    answer: text("answer"),
    agentThoughts: jsonb("agent_thoughts").$type<unknown[]>(),
    /** Knowledge citations of the answer (Dify's retriever_resources); null when none or no content kept. */
    retrieverResources: jsonb("retriever_resources").$type<unknown[]>(),
    fileIds: jsonb("file_ids").$type<string[]>().notNull().default([]),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull().default("running"),
    error: text("error"),
    modelProvider: text("model_provider"),
    modelName: text("model_name"),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    totalTokens: integer("total_tokens").notNull().default(0),
    /** Total price in `currency` when the model's prices are configured; null when unknown. */
    price: numeric("price", { precision: 18, scale: 7 }),
    currency: text("currency"),
    latencyMs: doublePrecision("latency_ms"),
    firstTokenMs: doublePrecision("first_token_ms"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("messages_conversation_idx").on(t.conversationId, t.createdAt),
    index("messages_app_created_idx").on(t.appId, t.createdAt),
  ],
);

/** Like / dislike (+ optional text) from the end user who received the message. */
export const messageFeedbacks = pgTable(
  "message_feedbacks",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    endUserId: uuid("end_user_id")
      .notNull()
      .references(() => endUsers.id, { onDelete: "cascade" }),
    rating: text("rating", { enum: ["like", "dislike"] }).notNull(),
    content: text("content"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("message_feedbacks_message_user_uq").on(t.messageId, t.endUserId)],
);

export const USAGE_SHARDS = 16;

/** Usage per app per UTC day, kept apart from messages so purging conversations keeps the totals. */
export const appUsageDaily = pgTable(
  "app_usage_daily",
  {
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    /**
     * Each message adds to one of USAGE_SHARDS rows of its app and day, picked at random, so
     * concurrent messages of a busy app do not queue on one row lock; reads sum the shards.
     */
    shard: smallint("shard").notNull().default(0),
    messages: integer("messages").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    totalTokens: integer("total_tokens").notNull().default(0),
    price: numeric("price", { precision: 18, scale: 7 }).notNull().default("0"),
  },
  (t) => [primaryKey({ columns: [t.appId, t.day, t.shard] })],
);

/** An uploaded file: stored under a server-generated key; type sniffed from its bytes. */
export const uploadFiles = pgTable(
  "upload_files",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    endUserId: uuid("end_user_id")
      .notNull()
      .references(() => endUsers.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    size: integer("size").notNull(),
    mimeType: text("mime_type").notNull(),
    extension: text("extension").notNull(),
    sha256: text("sha256").notNull(),
    storageKey: text("storage_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("upload_files_app_idx").on(t.appId, t.createdAt)],
);
