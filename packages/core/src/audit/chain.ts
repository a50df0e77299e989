import { eq, sql, type SQL } from "drizzle-orm";
import { auditChainHead, executeDeferred, executePrepared, type Transaction } from "@enclave/db";
import { auditLeafHex, type AuditRow, type HashableRow } from "./leaf.ts";

export {
  auditLeafHex,
  canonicalRecord,
  GENESIS_HASH,
  hashedRecord,
  type AuditRow,
  type HashableRow,
} from "./leaf.ts";
export type AuditRowInput = Omit<AuditRow, "seq" | "prevHash" | "leafHash">;

/** The chain tip a batch is linked onto. */
export interface ChainHead {
  nextSeq: number;
  lastHash: string;
}

/** Numbers and links events onto `head` (pure): returns them with seq, prevHash, leafHash. */
export function linkEvents<T extends Omit<HashableRow, "seq" | "prevHash">>(
  head: ChainHead,
  rows: T[],
): { chained: (T & { seq: number; prevHash: string; leafHash: string })[]; head: ChainHead } {
  let seq = head.nextSeq;
  let prevHash = head.lastHash;
  const chained = rows.map((row) => {
    const base = { ...row, seq, prevHash };
    const leafHash = auditLeafHex(base);
    seq += 1;
    prevHash = leafHash;
    return { ...base, leafHash };
  });
  return { chained, head: { nextSeq: seq, lastHash: prevHash } };
}

export type LinkedRow = HashableRow & { leafHash: string; detailsText?: string };

/** An event's own columns as the members of a JSON object (snake_case, as jsonb_to_recordset reads them). */
function eventMembers(r: Omit<HashableRow, "seq" | "prevHash"> & { detailsText?: string }): string {
  const j = JSON.stringify;
  return (
    `"id":${j(r.id)},"workspace_id":${j(r.workspaceId)},"actor_type":${j(r.actorType)},` +
    `"actor_id":${j(r.actorId)},"ip":${j(r.ip)},"user_agent":${j(r.userAgent)},"action":${j(r.action)},` +
    `"target_type":${j(r.targetType)},"target_id":${j(r.targetId)},"outcome":${j(r.outcome)},` +
    `"request_id":${j(r.requestId)},"details":${r.detailsText ?? j(r.details)},` +
    `"created_at":${j(typeof r.createdAt === "string" ? r.createdAt : r.createdAt.toISOString())}`
  );
}

const EVENT_COLUMNS = sql.raw(
  "id, workspace_id, actor_type, actor_id, ip, user_agent, action, target_type, target_id, outcome, request_id, details, created_at",
);
const EVENT_RECORD = sql.raw(
  "id uuid, workspace_id uuid, actor_type text, actor_id text, ip text, user_agent text, action text, " +
    "target_type text, target_id text, outcome text, request_id text, details jsonb, created_at timestamptz",
);

/** Linked events as one jsonb parameter, opened as rows of the audit_events columns. */
export function linkedRecordset(rows: LinkedRow[]): SQL {
  const j = JSON.stringify;
  const doc = rows.map(
    (r) => `{${eventMembers(r)},"seq":${r.seq},"prev_hash":${j(r.prevHash)},"leaf_hash":${j(r.leafHash)}}`,
  );
  return sql`jsonb_to_recordset(${`[${doc.join(",")}]`}::jsonb)
    as x(${EVENT_RECORD}, seq bigint, prev_hash text, leaf_hash text)`;
}

export { EVENT_COLUMNS };

/**
 * Inserts linked events and moves the chain head in one statement (one round trip): the rows
 * travel as a single JSON document, so a batch of thousands is one parameter, not 30,000, and the
 * statement's text never changes, so it is prepared once per connection.
 */
export async function writeLinked(tx: Transaction, rows: LinkedRow[], head: ChainHead): Promise<void> {
  await executePrepared(
    tx,
    "enclave_audit_write_linked",
    sql`
    with inserted as (
      insert into audit_events (${EVENT_COLUMNS}, seq, prev_hash, leaf_hash)
      select ${EVENT_COLUMNS}, seq, prev_hash, leaf_hash from ${linkedRecordset(rows)}
    )
    update audit_chain_head set next_seq = ${head.nextSeq}, last_hash = ${head.lastHash}, updated_at = now()
    where id = 1`,
  );
}

/**
 * Queues a transaction's events in audit_inbox (one prepared statement, whatever the count). It
 * runs last before COMMIT, so on PostgreSQL it travels with the COMMIT (executeDeferred): an
 * audited transaction costs no extra round trip, and if the insert fails the COMMIT does not run.
 */
export async function insertIntoInbox(tx: Transaction, rows: AuditRowInput[]): Promise<void> {
  await executeDeferred(
    tx,
    "enclave_audit_inbox_insert",
    sql`insert into audit_inbox (${EVENT_COLUMNS})
        select ${EVENT_COLUMNS} from jsonb_to_recordset(${`[${rows.map((r) => `{${eventMembers(r)}}`).join(",")}]`}::jsonb)
          as x(${EVENT_RECORD})`,
  );
}

/**
 * Appends events to the chain: locks the chain head (so seq is gapless), links each event to the
 * previous hash, and moves the head. Call last in a transaction, so no other lock is taken after
 * this one; the audit sequencer (sequencer.ts) moves most events and has its own fused statement.
 */
export async function appendAuditEvents(tx: Transaction, input: AuditRowInput[]): Promise<AuditRow[]> {
  if (input.length === 0) return [];
  const [head] = await tx.select().from(auditChainHead).where(eq(auditChainHead.id, 1)).for("update");
  if (!head) throw new Error("audit chain head is missing: run migrations");
  const linked = linkEvents(head, input);
  await writeLinked(tx, linked.chained, linked.head);
  return linked.chained;
}
