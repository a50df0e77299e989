import { asc, sql } from "drizzle-orm";
import { auditChainHead, auditCheckpoints, queryRows, type Database } from "@enclave/db";
import type { KeyObject } from "node:crypto";
import { auditLeafHex, GENESIS_HASH, type AuditRow, type HashableRow } from "./chain.ts";
import { MerkleFrontier } from "./merkle.ts";
import { openCheckpoint } from "./signed-note.ts";

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

export interface VerifyReport {
  ok: boolean;
  events: number;
  checkpointsVerified: number;
  externalCheckpoint: { size: number; ok: boolean } | null;
  firstBadSeq: number | null;
  problems: VerifyProblem[];
  durationMs: number;
  verifiedAt: string;
}

export interface VerifyOptions {
  publicKey: KeyObject;
  keyName: string;
  /** A signed checkpoint note kept outside the database (shipped to a SIEM, saved by an operator). */
  externalCheckpoint?: string;
  batchSize?: number;
  /** Stop collecting after this many problems (the first is what matters). */
  maxProblems?: number;
}

const REORDER_WINDOW = 16;

/**
 * Recomputes every leaf, the hash chain, seq contiguity, every stored checkpoint's signature and
 * root, and the root at an external checkpoint's size; names the first bad seq and what kind of
 * tampering it looks like.
 */
export async function verifyAuditLog(db: Database, opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const problems: VerifyProblem[] = [];
  const maxProblems = opts.maxProblems ?? 100;
  const report = (p: VerifyProblem) => {
    if (problems.length < maxProblems) problems.push(p);
  };

  // Checkpoints: each must carry a valid signature over its own size and root.
  const checkpoints = await db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.size));
  const expectedRoots = new Map<number, { root: string; source: string }>();
  let checkpointsVerified = 0;
  for (const cp of checkpoints) {
    const opened = openCheckpoint(cp.note, opts.publicKey, opts.keyName);
    if (!opened || opened.size !== cp.size || opened.rootHash.toString("hex") !== cp.rootHash) {
      report({
        kind: "bad_checkpoint_signature",
        seq: cp.size,
        detail: `checkpoint at size ${cp.size} is not validly signed`,
      });
      continue;
    }
    expectedRoots.set(cp.size, { root: cp.rootHash, source: "stored checkpoint" });
    checkpointsVerified++;
  }
  let external: VerifyReport["externalCheckpoint"] = null;
  if (opts.externalCheckpoint !== undefined) {
    const opened = openCheckpoint(opts.externalCheckpoint, opts.publicKey, opts.keyName);
    if (!opened) {
      report({
        kind: "bad_checkpoint_signature",
        seq: -1,
        detail: "the external checkpoint is not validly signed by this deployment's key",
      });
      external = { size: -1, ok: false };
    } else {
      external = { size: opened.size, ok: true };
      const stored = expectedRoots.get(opened.size);
      if (stored && stored.root !== opened.rootHash.toString("hex")) {
        report({
          kind: "checkpoint_mismatch",
          seq: opened.size,
          detail: "the stored checkpoint disagrees with the external one",
        });
      }
      expectedRoots.set(opened.size, {
        root: opened.rootHash.toString("hex"),
        source: "external checkpoint",
      });
    }
  }

  const frontier = new MerkleFrontier();
  let expectedSeq = 0;
  let prevHash = GENESIS_HASH;
  let cursor = -1;
  const batchSize = opts.batchSize ?? 10_000;
  // The next batch is read while this one is hashed: the database works while we compute.
  let next = readBatch(db, cursor, batchSize);
  for (;;) {
    const rows = await next;
    if (rows.length === 0) break;
    cursor = rows[rows.length - 1]!.seq;
    next = readBatch(db, cursor, batchSize);
    for (const row of rows) {
      if (row.seq > expectedSeq) {
        const missing = row.seq - expectedSeq;
        report({
          kind: "deleted",
          seq: expectedSeq,
          detail: `${missing} event(s) missing before seq ${row.seq}`,
        });
        // Keep the Merkle position honest: roots after a gap cannot match, and are reported.
        for (let s = expectedSeq; s < row.seq; s++) frontier.append(Buffer.alloc(32));
        expectedSeq = row.seq;
        prevHash = row.prevHash;
      }
      const leaf = auditLeafHex(row);
      if (leaf !== row.leafHash) {
        const original = findOriginalSeq(row);
        report(
          original === null
            ? { kind: "modified", seq: row.seq, detail: "content does not match its hash" }
            : {
                kind: "reordered",
                seq: row.seq,
                detail: `the event written as seq ${original} now sits at seq ${row.seq}`,
              },
        );
      } else if (row.prevHash !== prevHash) {
        report({ kind: "chain_broken", seq: row.seq, detail: "does not link to the previous event" });
      }
      frontier.append(Buffer.from(leaf, "hex"));
      const expected = expectedRoots.get(frontier.size);
      if (expected && frontier.root().toString("hex") !== expected.root) {
        report({
          kind: "checkpoint_mismatch",
          seq: frontier.size - 1,
          detail: `the first ${frontier.size} events no longer match the ${expected.source}`,
        });
      }
      prevHash = row.leafHash;
      expectedSeq = row.seq + 1;
    }
  }

  const [head] = await db.select().from(auditChainHead);
  const claimed = Math.max(head?.nextSeq ?? 0, ...[...expectedRoots.keys()]);
  if (claimed > expectedSeq) {
    report({
      kind: "truncated",
      seq: expectedSeq,
      detail: `the log ends at seq ${expectedSeq - 1} but ${claimed} events were recorded (chain head or a checkpoint)`,
    });
  }
  if (external && external.ok && external.size > expectedSeq) external.ok = false;
  problems.sort((a, b) => a.seq - b.seq);
  return {
    ok: problems.length === 0,
    events: expectedSeq,
    checkpointsVerified,
    externalCheckpoint: external
      ? { ...external, ok: external.ok && !problems.some((p) => p.seq < external.size) }
      : null,
    firstBadSeq: problems.find((p) => p.seq >= 0)?.seq ?? (problems.length > 0 ? -1 : null),
    problems,
    durationMs: Math.round(performance.now() - started),
    verifiedAt: new Date().toISOString(),
  };
}

type VerifiedRow = HashableRow & { leafHash: string };

/**
 * One batch of events as text straight from the database (timestamps formatted by the server,
 * details as JSON text): decoding Dates and jsonb per row was most of verification's time.
 */
async function readBatch(db: Database, after: number, limit: number): Promise<VerifiedRow[]> {
  const raw = await queryRows<Record<string, string | null>>(
    db,
    sql`select seq::text as seq, id::text as id,
               to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
               workspace_id::text as workspace_id, actor_type, actor_id, ip, user_agent, action,
               target_type, target_id, outcome, request_id, details::text as details, prev_hash, leaf_hash
        from audit_events where audit_events.seq > ${after} order by audit_events.seq limit ${limit}`,
  );
  return raw.map((r) => ({
    seq: Number(r.seq),
    id: r.id!,
    createdAt: r.created_at!,
    workspaceId: r.workspace_id ?? null,
    actorType: r.actor_type as AuditRow["actorType"],
    actorId: r.actor_id ?? null,
    ip: r.ip ?? null,
    userAgent: r.user_agent ?? null,
    action: r.action!,
    targetType: r.target_type ?? null,
    targetId: r.target_id ?? null,
    outcome: r.outcome as AuditRow["outcome"],
    requestId: r.request_id ?? null,
    details: JSON.parse(r.details!) as Record<string, unknown>,
    prevHash: r.prev_hash!,
    leafHash: r.leaf_hash!,
  }));
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
