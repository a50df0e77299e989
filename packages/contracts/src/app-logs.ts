import { z } from "zod";
import type { AppConfig } from "./apps.ts";

// Console reads of an app beyond its settings: versions, keys, conversation logs, usage.

/** A published, frozen version of an app (`GET /console/api/apps/{id}/versions`). */
export interface AppVersionView {
  id: string;
  version: number;
  config: AppConfig;
  createdBy: string | null;
  /** The publisher's display name (null once the account is gone). */
  createdByName: string | null;
  createdAt: string;
}

/** The answer to creating a service API key: the only time `token` is ever shown. */
export interface CreatedApiKey {
  id: string;
  name: string;
  token: string;
  prefix: string;
  createdAt: string;
}

const page = z.coerce.number().int().min(1).max(100_000).default(1);
const pageSize = z.coerce.number().int().min(1).max(100).default(20);
const instant = z.coerce.date();

/** `GET /console/api/apps/{id}/conversations`: paginated, newest first. */
export const ConversationLogQuery = z
  .object({
    page,
    limit: pageSize,
    /** The end user's `user` string, exactly as the caller sent it. */
    end_user: z.string().min(1).max(255).optional(),
    /** Created at or after / strictly before (ISO date or date-time). */
    from: instant.optional(),
    to: instant.optional(),
  })
  .strict();
export type ConversationLogQuery = z.infer<typeof ConversationLogQuery>;

/** `GET /console/api/apps/{id}/messages`: one conversation's messages (oldest first), or all of the app's. */
export const MessageLogQuery = z
  .object({
    page,
    limit: pageSize,
    conversation_id: z.uuid().optional(),
    end_user: z.string().min(1).max(255).optional(),
    from: instant.optional(),
    to: instant.optional(),
  })
  .strict();
export type MessageLogQuery = z.infer<typeof MessageLogQuery>;

export interface Page<T> {
  data: T[];
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}

export interface ConversationLogView {
  id: string;
  endUser: string;
  /** Null when the app keeps no content. */
  name: string | null;
  messageCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface MessageLogView {
  id: string;
  conversationId: string | null;
  endUser: string;
  source: string;
  /** Null when the app keeps no content. */
  query: string | null;
  answer: string | null;
  inputs: Record<string, unknown> | null;
  status: string;
  error: string | null;
  model: { provider: string | null; name: string | null };
  tokens: { prompt: number; completion: number; total: number };
  price: { amount: string; currency: string | null } | null;
  latencyMs: number | null;
  feedback: { rating: "like" | "dislike"; content: string | null } | null;
  createdAt: string;
}

const day = z.iso.date();

/** `GET /console/api/apps/{id}/usage`: UTC days, both ends included; defaults to the last 30 days. */
export const UsageQuery = z.object({ from: day.optional(), to: day.optional() }).strict();
export type UsageQuery = z.infer<typeof UsageQuery>;

export interface UsageDayView {
  day: string;
  messages: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Decimal string, in the currency of the models' configured prices. */
  price: string;
}

export interface UsageView {
  from: string;
  to: string;
  data: UsageDayView[];
  totals: Omit<UsageDayView, "day">;
}
