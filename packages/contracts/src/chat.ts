import { z } from "zod";

// Service API request bodies and queries, in Dify's field names so Dify's SDKs and integrations
// work unchanged. Every documented field is accepted; anything else is refused (400 invalid_param).

/** The caller's end-user id (Dify's `user`): conversations and files are visible only to it. */
export const EndUserId = z.string().trim().min(1).max(255);

/** Dify's stand-in when a request names no `user`. */
export const DEFAULT_END_USER = "DEFAULT-USER";

export const InputFile = z
  .object({
    type: z.enum(["image", "document", "audio", "video", "custom"]),
    transfer_method: z.enum(["remote_url", "local_file"]),
    url: z.string().max(2048).optional(),
    upload_file_id: z.string().max(64).optional(),
  })
  .strict()
  .refine((f) => (f.transfer_method === "remote_url" ? !!f.url : !!f.upload_file_id), {
    message: "remote_url files need `url`, local_file files need `upload_file_id`",
  });
export type InputFile = z.infer<typeof InputFile>;

const inputs = z.record(z.string().max(64), z.unknown()).default({});
const responseMode = z.enum(["streaming", "blocking"]).nullish();
const files = z.array(InputFile).max(20).nullish();

export const ChatMessageRequest = z
  .object({
    query: z.string().min(1, "query is required").max(100_000),
    inputs,
    response_mode: responseMode,
    user: EndUserId,
    conversation_id: z.string().max(64).nullish(),
    files,
    auto_generate_name: z.boolean().optional(),
    /** Chatflow apps only in Dify; accepted and ignored here. */
    workflow_id: z.string().max(64).nullish(),
  })
  .strict();
export type ChatMessageRequest = z.infer<typeof ChatMessageRequest>;

/** The console's debug chat: the signed-in editor is the end user. */
export const DebugChatRequest = ChatMessageRequest.omit({ user: true, workflow_id: true });
export type DebugChatRequest = z.infer<typeof DebugChatRequest>;

export const CompletionMessageRequest = z
  .object({
    inputs,
    query: z.string().max(100_000).default(""),
    response_mode: responseMode,
    user: EndUserId,
    files,
  })
  .strict();
export type CompletionMessageRequest = z.infer<typeof CompletionMessageRequest>;

export const StopRequest = z.object({ user: EndUserId }).strict();
export type StopRequest = z.infer<typeof StopRequest>;

const limit = z.coerce.number().int().min(1).max(100).default(20);

export const ConversationsQuery = z
  .object({
    user: EndUserId.optional(),
    last_id: z.string().max(64).optional(),
    limit,
    sort_by: z.enum(["created_at", "-created_at", "updated_at", "-updated_at"]).default("-updated_at"),
    /** Dify's pinned filter: conversations are never pinned through the API, so `true` lists none. */
    pinned: z.enum(["true", "false"]).optional(),
  })
  .strict();
export type ConversationsQuery = z.infer<typeof ConversationsQuery>;

export const MessagesQuery = z
  .object({
    conversation_id: z.string().max(64),
    user: EndUserId.optional(),
    first_id: z.string().max(64).optional(),
    limit,
  })
  .strict();
export type MessagesQuery = z.infer<typeof MessagesQuery>;

export const DeleteConversationRequest = z.object({ user: EndUserId.optional() }).strict();
export type DeleteConversationRequest = z.infer<typeof DeleteConversationRequest>;

export const RenameConversationRequest = z
  .object({
    name: z.string().trim().max(255).nullish(),
    auto_generate: z.boolean().default(false),
    user: EndUserId.optional(),
  })
  .strict()
  .refine((r) => r.auto_generate || (r.name ?? "").length > 0, {
    message: "give a name, or auto_generate: true",
  });
export type RenameConversationRequest = z.infer<typeof RenameConversationRequest>;

export const FeedbackRequest = z
  .object({
    rating: z.enum(["like", "dislike"]).nullable(),
    user: EndUserId.optional(),
    content: z.string().max(10_000).nullish(),
  })
  .strict();
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

/** Dify's `metadata.usage`. Prices are decimal strings; latency in seconds. */
export interface MessageUsage {
  prompt_tokens: number;
  prompt_unit_price: string;
  prompt_price_unit: string;
  prompt_price: string;
  completion_tokens: number;
  completion_unit_price: string;
  completion_price_unit: string;
  completion_price: string;
  total_tokens: number;
  total_price: string;
  currency: string;
  latency: number;
}

/** One citation of `metadata.retriever_resources` (Dify field names). */
export interface RetrieverResource {
  position: number;
  dataset_id: string;
  dataset_name: string;
  document_id: string;
  document_name: string;
  data_source_type: string;
  segment_id: string;
  score: number;
  content: string;
  [key: string]: unknown;
}

export interface AgentThoughtView {
  id: string;
  message_id: string;
  position: number;
  thought: string;
  tool: string;
  tool_input: string;
  observation: string;
  files: string[];
  created_at: number;
}

/** A streamed event of a chat or completion message, as Dify's SSE `data:` objects. */
export type ChatStreamEvent =
  | { event: "message" | "agent_message"; answer: string }
  | ({ event: "agent_thought" } & Omit<AgentThoughtView, "message_id" | "created_at" | "files">)
  | {
      event: "message_end";
      metadata: { usage: MessageUsage; retriever_resources: RetrieverResource[] };
      files?: null;
    }
  | { event: "error"; status: number; code: string; message: string };
