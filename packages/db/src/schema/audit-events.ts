import { sql } from "drizzle-orm";
import { bigint, check, index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

/**
 * Append-only, hash-chained record of who did what. A trigger (migration 0001) rejects UPDATE,
 * DELETE and TRUNCATE; no foreign keys, so deleting a workspace never touches its audit trail.
 * `seq` is gapless per deployment; `leafHash` = SHA-256(0x00 || RFC 8785 JSON of the event,
 * including seq, createdAt and prevHash), and `prevHash` is the previous event's leafHash.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: id(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    workspaceId: uuid("workspace_id"),
    actorType: text("actor_type", {
      enum: ["user", "apiKey", "endUser", "datasetKey", "system", "anonymous"],
    }).notNull(),
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
    prevHash: text("prev_hash").notNull(),
    leafHash: text("leaf_hash").notNull(),
  },
  (t) => [
    uniqueIndex("audit_events_seq_uq").on(t.seq),
    index("audit_events_ws_created_idx").on(t.workspaceId, t.createdAt),
    // Workspace sinks read their workspace's events in seq order from a cursor.
    index("audit_events_ws_seq_idx").on(t.workspaceId, t.seq),
    index("audit_events_action_idx").on(t.action),
    check("audit_events_outcome_ck", sql`${t.outcome} in ('success', 'failure', 'denied')`),
  ],
);
