import { sql } from "drizzle-orm";
import { bigint, check, jsonb, pgTable, smallint, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";

/**
 * The tip of the audit hash chain: one row, locked FOR UPDATE by every transaction that appends,
 * so `seq` is allocated without gaps (a rolled-back append rolls the tip back too).
 */
export const auditChainHead = pgTable(
  "audit_chain_head",
  {
    id: smallint("id").primaryKey(),
    nextSeq: bigint("next_seq", { mode: "number" }).notNull(),
    lastHash: text("last_hash").notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [check("audit_chain_head_single_row_ck", sql`${t.id} = 1`)],
);

/** Signed Merkle checkpoints over the audit trail (C2SP signed-note text), append-only. */
export const auditCheckpoints = pgTable("audit_checkpoints", {
  id: id(),
  size: bigint("size", { mode: "number" }).notNull().unique(),
  rootHash: text("root_hash").notNull(),
  /** Roots of the perfect subtrees covering [0, size): lets the next checkpoint start here. */
  frontier: jsonb("frontier").$type<string[]>().notNull(),
  note: text("note").notNull(),
  keyName: text("key_name").notNull(),
  createdAt: createdAt(),
});

/** How far each SIEM sink has acknowledged: durable, so a restart or an outage loses nothing. */
export const auditSinkCursors = pgTable("audit_sink_cursors", {
  sinkId: text("sink_id").primaryKey(),
  /** Highest event seq the sink accepted; -1 before the first. */
  shippedSeq: bigint("shipped_seq", { mode: "number" }).notNull().default(-1),
  /** Largest checkpoint size the sink accepted; 0 before the first. */
  shippedCheckpointSize: bigint("shipped_checkpoint_size", { mode: "number" }).notNull().default(0),
  updatedAt: updatedAt(),
});

/**
 * Audit events committed with their action but not yet chained. A business transaction only
 * inserts here (no shared lock), and the sequencer moves rows into audit_events in commit-time
 * batches under the chain-head lock — so "no audit row, no action" holds without serialising
 * every audited transaction on one row.
 */
export const auditInbox = pgTable(
  "audit_inbox",
  {
    id: uuid("id").primaryKey(),
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
  },
  // The same constraints as audit_events, so a row that could never be chained is refused here,
  // inside the action's own transaction.
  (t) => [check("audit_inbox_outcome_ck", sql`${t.outcome} in ('success', 'failure', 'denied')`)],
);
