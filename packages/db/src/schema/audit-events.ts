import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

/**
 * Append-only record of who did what. A trigger (migration 0001) rejects UPDATE, DELETE and
 * TRUNCATE; no foreign keys, so deleting a workspace never needs to touch its audit trail.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: id(),
    workspaceId: uuid("workspace_id"),
    actorType: text("actor_type", { enum: ["user", "apiKey", "endUser", "system", "anonymous"] }).notNull(),
    actorId: text("actor_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    outcome: text("outcome", { enum: ["success", "failure", "denied"] }).notNull(),
    requestId: text("request_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_events_ws_created_idx").on(t.workspaceId, t.createdAt),
    index("audit_events_action_idx").on(t.action),
    check("audit_events_outcome_ck", sql`${t.outcome} in ('success', 'failure', 'denied')`),
  ],
);
