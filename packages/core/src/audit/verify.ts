import { asc, sql } from "drizzle-orm";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { auditChainHead, auditCheckpoints, hasSqlState, queryRows, type Database } from "@enclave/db";
import type { KeyObject } from "node:crypto";
import { GENESIS_HASH } from "./leaf.ts";
import { flushBeforeReading } from "./sequencer.ts";
import { MerkleFrontier } from "./merkle.ts";
import { openCheckpoint } from "./signed-note.ts";
import {
  RANGE_SQL,
  verifyRange,
  verifyTask,
  type RangeProblem,
  type EventColumns,
  type RangeResult,
  type RangeTask,
  type RowReader,
  type VerifyProblem,
} from "./verify-range.ts";

export type { TamperKind, VerifyProblem } from "./verify-range.ts";

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
  /**
   * Worker threads, each verifying whole seq ranges on its own PostgreSQL connection (default: one
   * per core). PGlite, one thread, or a log of at most two ranges verify on this thread.
   */
  threads?: number;
  /** Events per range given to a worker; a power of two (ranges are whole Merkle subtrees). */
  rangeSize?: number;
}

const RANGE_SIZE = 1 << 15;

/**
 * Recomputes every leaf, the hash chain, seq contiguity, every stored checkpoint's signature and
 * root, and the root at an external checkpoint's size; names the first bad seq and what kind of
 * tampering it looks like.
 */
export async function verifyAuditLog(db: Database, opts: VerifyOptions): Promise<VerifyReport> {
  // Everything committed so far is verified, events still pending in the inbox included; a
  // read-only verifier role cannot chain them (no access to the inbox) and verifies what is chained.
  await flushBeforeReading(db).catch((err: unknown) => {
    if (!hasSqlState(err, "42501")) throw err; // insufficient_privilege
  });
  const started = performance.now();
  const plan = await planVerification(db, opts);
  try {
    return await verifyPlanned(db, opts, plan, started);
  } finally {
    await Promise.all((plan.parallel?.workers ?? []).map((w) => w.terminate()));
  }
}

async function verifyPlanned(
  db: Database,
  opts: VerifyOptions,
  plan: Plan,
  started: number,
): Promise<VerifyReport> {
  const collected: RangeProblem[] = [];
  const maxProblems = opts.maxProblems ?? 100;
  const report = (p: VerifyProblem) => {
    collected.push(p);
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

  const batchSize = opts.batchSize ?? 10_000;
  const wantedSizes = new Set(expectedRoots.keys());
  const ranges = await verifyRanges(plan, { batchSize, maxProblems, wantedSizes });
  // Each range's roots complete the frontier of every whole range before it (those are perfect
  // subtrees of equal height, so a frontier over their roots gives the tree's left part).
  const prefix = new MerkleFrontier();
  let expectedSeq = 0;
  for (const range of ranges) {
    for (const p of range.problems) report(p);
    for (const { size, nodes } of range.reached) {
      const expected = expectedRoots.get(size)!;
      if (MerkleFrontier.rootOf([...prefix.hashes(), ...nodes]).toString("hex") !== expected.root) {
        report({
          kind: "checkpoint_mismatch",
          seq: size - 1,
          detail: `the first ${size} events no longer match the ${expected.source}`,
        });
      }
    }
    if (range.nodes.length === 1) prefix.append(range.nodes[0]!);
    expectedSeq = range.end;
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
  const problems = mergedProblems(collected, maxProblems);
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

/** How the log is verified; decided first, so worker threads start while checkpoints are checked. */
interface Plan {
  read: RowReader;
  /** Null: the whole log as one range on this thread. */
  parallel: { count: number; rangeSize: number; workers: Worker[] } | null;
}

/**
 * Worker threads when the database is PostgreSQL and the log is long enough to share (more than
 * two ranges), else one range on this thread.
 */
async function planVerification(db: Database, opts: VerifyOptions): Promise<Plan> {
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const rangeSize = opts.rangeSize ?? RANGE_SIZE;
  if (!Number.isInteger(Math.log2(rangeSize))) throw new Error("rangeSize must be a power of two");
  const client = (db as unknown as { $client?: unknown }).$client;
  if (!(client instanceof pg.Pool)) {
    // PGlite: rows as arrays through its own client (rowMode as an option there).
    const read: RowReader = async (after, limit) =>
      (await (client as PGlite).query<EventColumns>(RANGE_SQL, [after, limit], { rowMode: "array" })).rows;
    return { read, parallel: null };
  }
  const read: RowReader = async (after, limit) =>
    (await client.query<EventColumns>({ text: RANGE_SQL, values: [after, limit], rowMode: "array" })).rows;
  if (threads === 1) return { read, parallel: null };
  const [tip] = await queryRows<{ n: string }>(
    db,
    sql`select coalesce(max(seq) + 1, 0)::text as n from audit_events`,
  );
  const count = Math.ceil(Number(tip?.n ?? 0) / rangeSize);
  if (count <= 2) return { read, parallel: null };
  const { connectionString, ssl, options, application_name } = client.options as pg.PoolConfig;
  const config: pg.ClientConfig = {
    ...(connectionString !== undefined ? { connectionString } : {}),
    ...(ssl !== undefined ? { ssl } : {}),
    ...(options !== undefined ? { options } : {}),
    application_name: `${application_name ?? "enclave"}-verify`,
  };
  const workers = Array.from(
    { length: Math.min(threads, count) - 1 },
    () => new Worker(WORKER_URL, { workerData: config }),
  );
  return { read, parallel: { count, rangeSize, workers } };
}

/**
 * The log as ranges, in seq order: in parallel, this thread and the plan's workers each take the
 * next range as they become free.
 */
async function verifyRanges(
  plan: Plan,
  common: { batchSize: number; maxProblems: number; wantedSizes: Set<number> },
): Promise<RangeResult[]> {
  if (!plan.parallel) {
    return [await verifyRange(plan.read, { ...common, start: 0, end: Infinity, prevHash: GENESIS_HASH })];
  }
  const { count, rangeSize, workers } = plan.parallel;
  const wanted = [...common.wantedSizes];
  const tasks: RangeTask[] = Array.from({ length: count }, (_, i) => {
    const start = i * rangeSize;
    // The last range runs to the last row, as the single-threaded path does.
    const end = i === count - 1 ? Infinity : start + rangeSize;
    return {
      start,
      end,
      wantedSizes: wanted.filter((s) => s > start && s <= end),
      batchSize: common.batchSize,
      maxProblems: common.maxProblems,
    };
  });
  const results: RangeResult[] = new Array<RangeResult>(count);
  let nextTask = 0;
  const here = (task: RangeTask) => verifyTask(plan.read, task);
  await Promise.all(
    [null, ...workers].map(async (worker) => {
      while (nextTask < count) {
        const index = nextTask++;
        const task = tasks[index]!;
        if (!worker) {
          results[index] = await here(task);
          continue;
        }
        try {
          results[index] = await runTask(worker, task);
        } catch {
          // A worker that cannot connect (a role's connection limit, max_connections) or fails
          // costs speed, not the verification: its range, and every later one it would have
          // taken, is verified on this thread.
          results[index] = await here(task);
          worker = null;
        }
      }
    }),
  );
  return results;
}

const WORKER_URL = new URL("./verify-worker.ts", import.meta.url);

type TaskAnswer = { ok: true; result: RangeResult } | { ok: false; error: string };

function runTask(worker: Worker, task: RangeTask): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      worker.off("message", onMessage);
      reject(err);
    };
    const onMessage = (answer: TaskAnswer) => {
      worker.off("error", onError);
      if (!answer.ok) return reject(new Error(`audit verification worker: ${answer.error}`));
      // Buffers cross threads as plain Uint8Arrays.
      const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      resolve({
        ...answer.result,
        reached: answer.result.reached.map((r) => ({ size: r.size, nodes: r.nodes.map(buf) })),
        nodes: answer.result.nodes.map(buf),
      });
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
    worker.postMessage(task);
  });
}

/** Sorted by seq, with a gap that ran across a range boundary as one "deleted" problem. */
function mergedProblems(problems: RangeProblem[], maxProblems: number): VerifyProblem[] {
  const out: RangeProblem[] = [];
  for (const p of [...problems].sort((a, b) => a.seq - b.seq)) {
    const last = out[out.length - 1];
    if (p.kind === "deleted" && last?.kind === "deleted" && last.seq + last.missing! === p.seq) {
      last.missing! += p.missing!;
      last.detail = `${last.missing} event(s) missing before seq ${last.seq + last.missing!}`;
    } else out.push({ ...p });
  }
  return out.slice(0, maxProblems).map(({ missing: _missing, ...p }) => p);
}
