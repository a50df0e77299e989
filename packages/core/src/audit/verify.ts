import { asc, sql } from "drizzle-orm";
import { auditChainHead, auditCheckpoints, queryRows, type Database } from "@enclave/db";
import type { KeyObject } from "node:crypto";
import { GENESIS_HASH } from "./chain.ts";
import { canonicalJson } from "./canonical-json.ts";
import { canonicalText, eventTextColumns, type EventText } from "./event-text.ts";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { LeafHasher, packTexts, type HashedBatch } from "./leaf-hasher.ts";
import { leafHashHex } from "./merkle.ts";
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
  /** Hash on a worker thread; by default only for large logs on machines with more than 2 cores. */
  hashOnWorker?: boolean;
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

  let expectedSeq = 0;
  let prevHash = GENESIS_HASH;
  /** Compares one hashed batch with what the rows claim, in seq order. */
  const check = (batch: PendingBatch, hashed: HashedBatch) => {
    const leaves = Buffer.from(hashed.leaves.buffer, hashed.leaves.byteOffset, hashed.leaves.byteLength);
    for (const row of batch.rows) {
      const seq = Number(row.seq);
      if (seq > expectedSeq) {
        const missing = seq - expectedSeq;
        report({
          kind: "deleted",
          seq: expectedSeq,
          detail: `${missing} event(s) missing before seq ${seq}`,
        });
        expectedSeq = seq;
        prevHash = row.prev_hash;
      }
      const at = (seq - batch.firstPosition) * 32;
      if (leaves.toString("hex", at, at + 32) !== row.leaf_hash) {
        const original = findOriginalSeq(row, seq);
        report(
          original === null
            ? { kind: "modified", seq, detail: "content does not match its hash" }
            : {
                kind: "reordered",
                seq,
                detail: `the event written as seq ${original} now sits at seq ${seq}`,
              },
        );
      } else if (row.prev_hash !== prevHash) {
        report({ kind: "chain_broken", seq, detail: "does not link to the previous event" });
      }
      prevHash = row.leaf_hash;
      expectedSeq = seq + 1;
    }
    for (const [size, root] of hashed.roots) {
      const expected = expectedRoots.get(size);
      if (expected && root !== expected.root) {
        report({
          kind: "checkpoint_mismatch",
          seq: size - 1,
          detail: `the first ${size} events no longer match the ${expected.source}`,
        });
      }
    }
  };

  const hasher = await openHasher([...expectedRoots.keys()], opts.hashOnWorker ?? (await workerPaysOff(db)));
  try {
    const batchSize = opts.batchSize ?? 10_000;
    let cursor = -1;
    let position = 0;
    let pending: PendingBatch | null = null;
    // Three stages overlap: the database reads batch k+2, this thread canonicalises batch k+1,
    // and the hasher (a worker thread for large logs) hashes batch k.
    let next = readBatch(db, cursor, batchSize);
    for (;;) {
      const rows = await next;
      let current: PendingBatch | null = null;
      if (rows.length > 0) {
        cursor = Number(rows[rows.length - 1]!.seq);
        next = readBatch(db, cursor, batchSize);
        const firstPosition = position;
        hasher.begin(rows.length);
        for (const row of rows) {
          const seq = Number(row.seq);
          // Missing events keep their tree positions (as zero leaves), so later roots fail honestly.
          for (; position < seq; position++) hasher.add(null);
          hasher.add(canonicalText(row, seq, canonicalJson(JSON.parse(row.details!))));
          position = seq + 1;
        }
        current = { rows, firstPosition, hashed: hasher.end() };
      }
      if (pending) check(pending, await pending.hashed);
      pending = current;
      if (!current) break;
    }
  } finally {
    await hasher.close();
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

interface PendingBatch {
  rows: VerifiedRow[];
  /** Tree position of the batch's first leaf (missing events before it included). */
  firstPosition: number;
  hashed: Promise<HashedBatch>;
}

/** The hashing stage, fed one batch at a time: begin, add each record (null for a gap), end. */
interface Hasher {
  begin(expected: number): void;
  add(text: string | null): void;
  end(): Promise<HashedBatch>;
  close(): Promise<void>;
}

/** Below this many events a worker thread costs more to start than it saves. */
const WORKER_THRESHOLD = 20_000;

/**
 * A worker pays off only with a core to spare: it cuts the main thread's work per event by about a
 * quarter but adds a fifth to the total, and on two cores the database already takes the other one
 * (measured in bench/results/audit.md).
 */
async function workerPaysOff(db: Database): Promise<boolean> {
  if (availableParallelism() <= 2) return false;
  const [head] = await db.select({ nextSeq: auditChainHead.nextSeq }).from(auditChainHead);
  return (head?.nextSeq ?? 0) >= WORKER_THRESHOLD;
}

/** The hashing stage: on a worker thread (answers arrive in order), or inline. */
async function openHasher(rootSizes: number[], onWorker: boolean): Promise<Hasher> {
  if (!onWorker) {
    const inline = new LeafHasher(rootSizes);
    return {
      begin: (expected) => inline.begin(expected),
      add: (text) => inline.add(text),
      end: () => Promise.resolve(inline.end()),
      close: () => Promise.resolve(),
    };
  }
  const worker = new Worker(new URL("./verify-worker.ts", import.meta.url), { workerData: rootSizes });
  const waiting: { resolve: (b: HashedBatch) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown = null;
  worker.on("message", (batch: HashedBatch) => waiting.shift()?.resolve(batch));
  const fail = (err: unknown) => {
    failure ??= err;
    for (const w of waiting.splice(0)) w.reject(err);
  };
  worker.on("error", fail);
  worker.on("exit", () => fail(new Error("audit verify worker exited")));
  let texts: (string | null)[] = [];
  return {
    begin: () => {
      texts = [];
    },
    add: (text) => {
      texts.push(text);
    },
    end: () =>
      new Promise<HashedBatch>((resolve, reject) => {
        if (failure) return reject(failure);
        waiting.push({ resolve, reject });
        const packed = packTexts(texts);
        worker.postMessage(packed, [packed.lengths.buffer]);
      }),
    close: async () => {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}

type VerifiedRow = EventText & { seq: string; prev_hash: string; leaf_hash: string };

/** One batch of events as text (see eventTextColumns), in seq order. */
function readBatch(db: Database, after: number, limit: number): Promise<VerifiedRow[]> {
  return queryRows<VerifiedRow>(
    db,
    sql`select e.seq::text as seq, ${eventTextColumns("e")}, e.prev_hash, e.leaf_hash
        from audit_events e where e.seq > ${after} order by e.seq limit ${limit}`,
  );
}

/** If the row's content hashes correctly under a nearby seq, it was moved there from that seq. */
function findOriginalSeq(row: VerifiedRow, seq: number): number | null {
  const details = canonicalJson(JSON.parse(row.details!));
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const other of [seq - d, seq + d]) {
      if (other >= 0 && leafHashHex(canonicalText(row, other, details)) === row.leaf_hash) return other;
    }
  }
  return null;
}
