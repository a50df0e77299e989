import { asc, sql } from "drizzle-orm";
import { auditChainHead, auditCheckpoints, queryRows, type Database } from "@enclave/db";
import type { KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { auditLeafHex, type HashableRow } from "./chain.ts";
import { hashBatch, tupleRow, type BatchTuple, type HashedBatch } from "./leaf-batch.ts";
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
  /** Hashing threads (default: one per core, at most 4, for logs of 50k events or more; 0 = inline). */
  threads?: number;
  /** Stop collecting after this many problems (the first is what matters). */
  maxProblems?: number;
}

const REORDER_WINDOW = 16;
const WORKER_URL = new URL("./verify-worker.ts", import.meta.url);

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
  const prevHash = Buffer.alloc(32); // GENESIS_HASH
  let prevBad = false;
  const batchSize = opts.batchSize ?? 10_000;
  const pool = await hashingPool(db, opts.threads);
  try {
    // Batches are read and hashed ahead (two per thread) while this loop checks them in order.
    const ahead: Promise<{ batch: HashedBatch; json: string }>[] = [];
    let cursor = -1;
    let exhausted = false;
    const fill = async () => {
      while (!exhausted && ahead.length < Math.max(2, pool.size * 2)) {
        const read = await readBatch(db, cursor, batchSize);
        if (read.count === 0) {
          exhausted = true;
          break;
        }
        cursor = read.lastSeq;
        if (read.count < batchSize) exhausted = true;
        ahead.push(pool.hash(read.json).then((batch) => ({ batch, json: read.json })));
      }
    };
    await fill();
    while (ahead.length > 0) {
      const { batch, json } = await ahead.shift()!;
      const refill = fill();
      let parsed: BatchTuple[] | null = null;
      const rowAt = (i: number) => tupleRow((parsed ??= JSON.parse(json) as BatchTuple[])[i]!);
      const { seqs, computed, stored, prev, badStored, badPrev } = batch;
      const computedBuf = Buffer.from(computed.buffer, computed.byteOffset, computed.byteLength);
      for (let i = 0; i < seqs.length; i++) {
        const seq = seqs[i]!;
        const o = i * 32;
        if (seq > expectedSeq) {
          const missing = seq - expectedSeq;
          report({
            kind: "deleted",
            seq: expectedSeq,
            detail: `${missing} event(s) missing before seq ${seq}`,
          });
          // Keep the Merkle position honest: roots after a gap cannot match, and are reported.
          for (let s = expectedSeq; s < seq; s++) frontier.append(Buffer.alloc(32));
          expectedSeq = seq;
          prev.subarray(o, o + 32).forEach((b, k) => (prevHash[k] = b));
          prevBad = badPrev[i] === 1;
        }
        if (badStored[i] === 1 || computedBuf.compare(stored, o, o + 32, o, o + 32) !== 0) {
          const original = findOriginalSeq(rowAt(i));
          report(
            original === null
              ? { kind: "modified", seq, detail: "content does not match its hash" }
              : {
                  kind: "reordered",
                  seq,
                  detail: `the event written as seq ${original} now sits at seq ${seq}`,
                },
          );
        } else if (badPrev[i] === 1 || prevBad || prevHash.compare(prev, o, o + 32) !== 0) {
          report({ kind: "chain_broken", seq, detail: "does not link to the previous event" });
        }
        frontier.append(computedBuf.subarray(o, o + 32));
        const expected = expectedRoots.get(frontier.size);
        if (expected && frontier.root().toString("hex") !== expected.root) {
          report({
            kind: "checkpoint_mismatch",
            seq: frontier.size - 1,
            detail: `the first ${frontier.size} events no longer match the ${expected.source}`,
          });
        }
        // The next event must link to this one's stored leaf hash.
        for (let k = 0; k < 32; k++) prevHash[k] = stored[o + k]!;
        prevBad = badStored[i] === 1;
        expectedSeq = seq + 1;
      }
      await refill;
    }
  } finally {
    pool.close();
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
 * One batch of events as a single JSON text built by the database (timestamps formatted by the
 * server, details as JSON): one value to read instead of 16 columns × 10,000 rows to decode, and
 * a string a verification thread receives by a plain copy.
 */
async function readBatch(
  db: Database,
  after: number,
  limit: number,
): Promise<{ count: number; lastSeq: number; json: string }> {
  const [row] = await queryRows<{ n: number; last: string | null; rows: string }>(
    db,
    sql`select count(*)::int as n, max(b.seq)::text as last, coalesce(json_agg(json_build_array(
               b.seq, b.id::text, to_char(b.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               b.workspace_id::text, b.actor_type, b.actor_id, b.ip, b.user_agent, b.action,
               b.target_type, b.target_id, b.outcome, b.request_id, b.details, b.prev_hash, b.leaf_hash
             ) order by b.seq), '[]')::text as rows
        from (select * from audit_events where audit_events.seq > ${after}
              order by audit_events.seq limit ${limit}) b`,
  );
  return { count: row?.n ?? 0, lastSeq: Number(row?.last ?? after), json: row?.rows ?? "[]" };
}

interface HashingPool {
  size: number;
  hash(json: string): Promise<HashedBatch>;
  close(): void;
}

// Below this many events, starting threads costs more than it saves.
const THREADS_FROM_EVENTS = 50_000;

/**
 * Leaf hashing on up to `threads` worker threads (default: one per core, at most 4), round robin;
 * inline when 0 or when the log is small. The chain, seq and Merkle checks stay in order here.
 */
async function hashingPool(db: Database, threads: number | undefined): Promise<HashingPool> {
  const [head] = await db.select().from(auditChainHead);
  const n =
    threads ?? (Number(head?.nextSeq ?? 0) >= THREADS_FROM_EVENTS ? Math.min(4, availableParallelism()) : 0);
  if (n <= 0) return { size: 0, hash: async (json) => hashBatch(json), close: () => {} };
  const workers = Array.from({ length: n }, () => new Worker(WORKER_URL));
  const pending = new Map<number, { resolve: (b: HashedBatch) => void; reject: (e: unknown) => void }>();
  for (const w of workers) {
    w.on("message", (m: { id: number; out: HashedBatch }) => {
      pending.get(m.id)?.resolve(m.out);
      pending.delete(m.id);
    });
    w.on("error", (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  }
  let next = 0;
  return {
    size: n,
    hash: (json) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        workers[id % n]!.postMessage({ id, json });
      }),
    close: () => {
      for (const w of workers) void w.terminate();
    },
  };
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
