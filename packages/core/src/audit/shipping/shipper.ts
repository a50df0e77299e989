import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import { auditCheckpoints, auditEvents, auditSinkCursors, type Database } from "@enclave/db";
import type { Log } from "../../context/ctx.ts";
import type { AuditRow } from "../chain.ts";

export type ShipItem =
  | { type: "event"; row: AuditRow }
  | { type: "checkpoint"; size: number; rootHash: string; note: string; createdAt: Date };

/**
 * A SIEM destination. `send` resolves only once the sink has taken the whole batch (written and
 * flushed, or acknowledged); the cursor moves after that, so delivery is at-least-once and
 * receivers deduplicate by `event.id`.
 */
export interface AuditSink {
  readonly id: string;
  /** A workspace's own sink: only that workspace's events, and no deployment-wide checkpoints. */
  readonly workspaceId?: string;
  send(items: ShipItem[]): Promise<void>;
  close(): Promise<void>;
}

/** Ships the next batch to one sink; returns how many items it delivered (0 = caught up). */
export async function shipBatch(db: Database, sink: AuditSink, batchSize = 500): Promise<number> {
  await db.insert(auditSinkCursors).values({ sinkId: sink.id }).onConflictDoNothing();
  const [cursor] = await db
    .select()
    .from(auditSinkCursors)
    .where(sql`${auditSinkCursors.sinkId} = ${sink.id}`);
  const after = gt(auditEvents.seq, cursor!.shippedSeq);
  const rows = await db
    .select()
    .from(auditEvents)
    .where(sink.workspaceId ? and(eq(auditEvents.workspaceId, sink.workspaceId), after) : after)
    .orderBy(asc(auditEvents.seq))
    .limit(batchSize);
  const upTo = rows.length > 0 ? rows[rows.length - 1]!.seq + 1 : cursor!.shippedSeq + 1;
  // Checkpoints travel with the events they cover, after them. A workspace sink gets none: they
  // cover every tenant's events (and would tell one tenant how busy the others are).
  const checkpoints = sink.workspaceId
    ? []
    : await db
        .select()
        .from(auditCheckpoints)
        .where(
          and(gt(auditCheckpoints.size, cursor!.shippedCheckpointSize), lte(auditCheckpoints.size, upTo)),
        )
        .orderBy(asc(auditCheckpoints.size));
  const items: ShipItem[] = [
    ...rows.map((row) => ({ type: "event" as const, row })),
    ...checkpoints.map((c) => ({
      type: "checkpoint" as const,
      size: c.size,
      rootHash: c.rootHash,
      note: c.note,
      createdAt: c.createdAt,
    })),
  ];
  if (items.length === 0) return 0;
  await sink.send(items);
  await db
    .update(auditSinkCursors)
    .set({
      shippedSeq: rows.length > 0 ? rows[rows.length - 1]!.seq : cursor!.shippedSeq,
      shippedCheckpointSize:
        checkpoints.length > 0 ? checkpoints[checkpoints.length - 1]!.size : cursor!.shippedCheckpointSize,
    })
    .where(sql`${auditSinkCursors.sinkId} = ${sink.id}`);
  return items.length;
}

export interface ShipperOptions {
  batchSize?: number;
  idleMs?: number;
  maxBackoffMs?: number;
}

/**
 * Keeps every sink caught up, each on its own loop: a sink that is down backs off exponentially
 * (and is retried from its durable cursor) without holding up the others. Memory stays at one
 * batch per sink however long the outage.
 */
export function startShipping(
  db: Database,
  sinks: AuditSink[],
  log: Log,
  opts: ShipperOptions = {},
): () => Promise<void> {
  let stopped = false;
  const wakeups = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeups.delete(done);
        resolve();
      }
      wakeups.add(done);
    });
  const loops = sinks.map(async (sink) => {
    let backoff = 0;
    while (!stopped) {
      try {
        const shipped = await shipBatch(db, sink, opts.batchSize);
        if (backoff > 0) log.info({ sink: sink.id }, "audit sink recovered");
        backoff = 0;
        if (shipped === 0) await sleep(opts.idleMs ?? 1000);
      } catch (err) {
        backoff = Math.min(backoff === 0 ? 250 : backoff * 2, opts.maxBackoffMs ?? 30_000);
        log.warn(
          { sink: sink.id, err: err instanceof Error ? err.message : String(err), retryInMs: backoff },
          "audit sink unavailable",
        );
        await sleep(backoff);
      }
    }
  });
  return async () => {
    stopped = true;
    for (const wake of [...wakeups]) wake();
    await Promise.all(loops);
    await Promise.all(sinks.map((s) => s.close()));
  };
}
