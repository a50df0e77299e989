// The per-event half of `audit verify`, shared by the single-threaded path and the worker threads
// that each verify a range of seq: no database layer here, only the leaf, the chain link, seq
// contiguity and the Merkle frontier of the range.
import { canonicalJson } from "./canonical-json.ts";
import { auditLeafHex, GENESIS_HASH, type AuditRow, type HashableRow } from "./leaf.ts";
import { HexFrontier, leafHashHex } from "./merkle.ts";

export type TamperKind =
  | "modified"
  | "deleted"
  | "reordered"
  | "truncated"
  | "chain_broken"
  | "checkpoint_mismatch"
  | "bad_checkpoint_signature";

export interface VerifyProblem {
  kind: TamperKind;
  seq: number;
  detail: string;
}

/** A "deleted" problem keeps its count until ranges are merged. */
export type RangeProblem = VerifyProblem & { missing?: number };

export type VerifiedRow = HashableRow & { leafHash: string };

/**
 * One batch of events, read as text (timestamps formatted by the server, details as JSON text).
 * No upper bound on seq: with one the planner misjudges the range and sorts everything past the
 * cursor for every batch; ranges cap the row count instead and drop what lies beyond them.
 */
export const RANGE_SQL = `select seq::text as seq, id::text as id,
    to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
    workspace_id::text as workspace_id, actor_type, actor_id, ip, user_agent, action,
    target_type, target_id, outcome, request_id, details::text as details, prev_hash, leaf_hash
  from audit_events where audit_events.seq > $1 order by audit_events.seq limit $2`;

/** A row of RANGE_SQL as its columns, in the query's order (no object per row on the hot path). */
export type EventColumns = (string | null)[];

/** Reads at most `limit` rows with seq > after, in seq order, as columns (`rowMode: "array"`). */
export type RowReader = (after: number, limit: number) => Promise<EventColumns[]>;

/** Column positions in RANGE_SQL's select list. */
const COL = {
  seq: 0,
  id: 1,
  createdAt: 2,
  workspaceId: 3,
  actorType: 4,
  actorId: 5,
  ip: 6,
  userAgent: 7,
  action: 8,
  targetType: 9,
  targetId: 10,
  outcome: 11,
  requestId: 12,
  details: 13,
  prevHash: 14,
  leafHash: 15,
} as const;

/**
 * canonicalRecord of a row read as columns, straight from the text (same keys, same order; a test
 * pins the two together). seq is bigint text and id / workspace_id are uuid text: they never
 * need escaping, but they go through JSON.stringify like everything else.
 */
export function canonicalColumns(c: EventColumns): string {
  const j = JSON.stringify;
  return (
    `{"action":${j(c[COL.action])},"actorId":${j(c[COL.actorId])},"actorType":${j(c[COL.actorType])},` +
    `"createdAt":${j(c[COL.createdAt])},"details":${canonicalJson(JSON.parse(c[COL.details]!))},"id":${j(c[COL.id])},` +
    `"ip":${j(c[COL.ip])},"outcome":${j(c[COL.outcome])},"prevHash":${j(c[COL.prevHash])},"requestId":${j(c[COL.requestId])},` +
    `"seq":${Number(c[COL.seq])},"targetId":${j(c[COL.targetId])},"targetType":${j(c[COL.targetType])},` +
    `"userAgent":${j(c[COL.userAgent])},"workspaceId":${j(c[COL.workspaceId])}}`
  );
}

export function rowFromColumns(c: EventColumns): VerifiedRow {
  return {
    seq: Number(c[COL.seq]),
    id: c[COL.id]!,
    createdAt: c[COL.createdAt]!,
    workspaceId: c[COL.workspaceId] ?? null,
    actorType: c[COL.actorType] as AuditRow["actorType"],
    actorId: c[COL.actorId] ?? null,
    ip: c[COL.ip] ?? null,
    userAgent: c[COL.userAgent] ?? null,
    action: c[COL.action]!,
    targetType: c[COL.targetType] ?? null,
    targetId: c[COL.targetId] ?? null,
    outcome: c[COL.outcome] as AuditRow["outcome"],
    requestId: c[COL.requestId] ?? null,
    details: JSON.parse(c[COL.details]!) as Record<string, unknown>,
    prevHash: c[COL.prevHash]!,
    leafHash: c[COL.leafHash]!,
  };
}

export interface RangeResult {
  problems: RangeProblem[];
  /** For each wanted tree size the range reached: the range's own frontier nodes at that size. */
  reached: { size: number; nodes: Buffer[] }[];
  /** The range's frontier nodes at its end (one node for a full power-of-two range). */
  nodes: Buffer[];
  /** One past the last seq seen (or padded to). */
  end: number;
}

const REORDER_WINDOW = 16;

/**
 * Verifies rows with start <= seq < end (end may be Infinity: up to the last row). `prevHash` is
 * the stored leaf of seq start - 1, or null when that row is missing (a gap the range before
 * reports). A range that ends before the log does is padded to `end`, so its frontier has the
 * right size even when its last events were deleted.
 */
export async function verifyRange(
  read: RowReader,
  opts: {
    start: number;
    end: number;
    prevHash: string | null;
    wantedSizes: Set<number>;
    batchSize: number;
    maxProblems: number;
  },
): Promise<RangeResult> {
  const problems: RangeProblem[] = [];
  const report = (p: RangeProblem) => {
    if (problems.length < opts.maxProblems) problems.push(p);
  };
  const frontier = new HexFrontier();
  const reached: RangeResult["reached"] = [];
  // A missing event counts as an all-zero leaf, so no root over it can match.
  const zero = "0".repeat(64);
  let expectedSeq = opts.start;
  let prevHash = opts.prevHash;
  const pad = (to: number) => {
    const missing = to - expectedSeq;
    report({
      kind: "deleted",
      seq: expectedSeq,
      detail: `${missing} event(s) missing before seq ${to}`,
      missing,
    });
    // Keep the Merkle position honest: roots after a gap cannot match, and are reported.
    for (let s = expectedSeq; s < to; s++) frontier.append(zero);
    expectedSeq = to;
  };
  // Rows past the range's end are the next range's; a batch never asks for more than could fit.
  const readFrom = (after: number) => read(after, Math.min(opts.batchSize, opts.end - after - 1));
  let cursor = opts.start - 1;
  // The next batch is read while this one is hashed: the database works while we compute.
  let next: Promise<EventColumns[]> | null = readFrom(cursor);
  while (next) {
    const batch = await next;
    let rows = batch.length;
    // Rows at or past the range's end belong to the next range.
    while (rows > 0 && Number(batch[rows - 1]![COL.seq]) >= opts.end) rows--;
    if (rows === 0) break;
    cursor = Number(batch[rows - 1]![COL.seq]);
    next = cursor < opts.end - 1 ? readFrom(cursor) : null;
    for (let i = 0; i < rows; i++) {
      const c = batch[i]!;
      const seq = Number(c[COL.seq]);
      const storedLeaf = c[COL.leafHash]!;
      if (seq > expectedSeq) {
        pad(seq);
        prevHash = c[COL.prevHash]!;
      }
      const leaf = leafHashHex(canonicalColumns(c));
      if (leaf !== storedLeaf) {
        const row = rowFromColumns(c);
        const original = findOriginalSeq(row);
        report(
          original === null
            ? { kind: "modified", seq, detail: "content does not match its hash" }
            : {
                kind: "reordered",
                seq,
                detail: `the event written as seq ${original} now sits at seq ${seq}`,
              },
        );
      } else if (prevHash !== null && c[COL.prevHash] !== prevHash) {
        report({ kind: "chain_broken", seq, detail: "does not link to the previous event" });
      }
      frontier.append(leaf);
      if (opts.wantedSizes.has(seq + 1)) reached.push({ size: seq + 1, nodes: frontier.hashes() });
      prevHash = storedLeaf;
      expectedSeq = seq + 1;
    }
  }
  if (Number.isFinite(opts.end) && expectedSeq < opts.end) pad(opts.end);
  return { problems, reached, nodes: frontier.hashes(), end: expectedSeq };
}

/** If the row's content hashes correctly under a nearby seq, it was moved there from that seq. */
function findOriginalSeq(row: VerifiedRow): number | null {
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const seq of [row.seq - d, row.seq + d]) {
      if (seq >= 0 && auditLeafHex({ ...row, seq }) === row.leafHash) return seq;
    }
  }
  return null;
}

/** A range as handed to a verifier thread. */
export interface RangeTask {
  start: number;
  end: number;
  wantedSizes: number[];
  batchSize: number;
  maxProblems: number;
}

/** Verifies one task's range, linking it to the stored leaf of the event just before it. */
export async function verifyTask(read: RowReader, task: RangeTask): Promise<RangeResult> {
  let prevHash: string | null = GENESIS_HASH;
  if (task.start > 0) {
    const [before] = await read(task.start - 2, 1);
    // Absent: a gap there, which the range before reports.
    prevHash = before && Number(before[COL.seq]) === task.start - 1 ? before[COL.leafHash]! : null;
  }
  return verifyRange(read, { ...task, prevHash, wantedSizes: new Set(task.wantedSizes) });
}
