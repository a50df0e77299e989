import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { and, eq, gte, lte, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import {
  auditChainHead,
  auditCheckpoints,
  auditEvents,
  auditInbox,
  openPostgres,
  type Database,
  type DatabaseHandle,
  type PostgresHandle,
} from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { testCtx } from "../../test/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "./emit-audit.ts";
import { flushAuditInbox } from "./sequencer.ts";
import { auditLeafHex, type AuditRow } from "./chain.ts";
import { checkpointOrHeartbeat, createCheckpoint, type AuditSettings } from "./checkpoint.ts";
import { noteSignerFromSeed } from "./signed-note.ts";
import { verifyAuditLog } from "./verify.ts";

const settings: AuditSettings = {
  origin: "enclave.test/audit",
  signer: noteSignerFromSeed("enclave.test/audit", randomBytes(32)),
};
const baseOpts = { publicKey: settings.signer.publicKey, keyName: settings.signer.name };

/** n events, some several to a transaction; a checkpoint after `checkpointAt` of them. */
async function seed(database: DatabaseHandle, n: number, checkpointAt: number): Promise<string> {
  const ctx = testCtx(database);
  let note = "";
  for (let i = 0; i < n;) {
    const batch = Math.min(1 + (i % 3), n - i, i < checkpointAt ? checkpointAt - i : n);
    await withTransaction(ctx, async (tx, txCtx) => {
      for (let j = 0; j < batch; j++) {
        await emitAudit(tx, txCtx, { action: "test.event", details: { i: i + j, text: "數據主權 ✓" } });
      }
    });
    i += batch;
    if (i === checkpointAt) note = (await createCheckpoint(database.db, settings))!.note;
  }
  // Chained before the attacker gets at them (transactions return before their events are).
  await flushAuditInbox(database.db);
  return note;
}

/** An attacker with database access: ordinary triggers off for this transaction only. */
async function asAttacker(db: Database, fn: (tx: Database) => Promise<unknown>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await fn(tx as unknown as Database);
  });
}

// Every check runs with the default batch size, with batches small enough that gaps and swaps
// straddle batch boundaries, and (PostgreSQL) on two worker threads with ranges of four events.
const matrix = testDatabaseKinds().flatMap((kind) => [
  [kind, "default"] as const,
  [kind, "7"] as const,
  ...(kind === "postgres" ? [[kind, "2 threads, ranges of 4"] as const] : []),
]);
const optsFor = (variant: (typeof matrix)[number][1]) =>
  variant === "7"
    ? { ...baseOpts, batchSize: 7 }
    : variant === "default"
      ? { ...baseOpts, threads: 1 }
      : { ...baseOpts, threads: 2, rangeSize: 4, batchSize: 3 };

describe.each(matrix)("audit hash chain on %s, %s", (kind, variant) => {
  const verifyOpts = optsFor(variant);
  let database: DatabaseHandle | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("when idle, signs a heartbeat event and a checkpoint over it; not before the interval", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 3, 99);
    const t0 = new Date();
    expect(await checkpointOrHeartbeat(database.db, settings, 60_000, t0)).toMatchObject({ size: 3 });
    expect(
      await checkpointOrHeartbeat(database.db, settings, 60_000, new Date(t0.getTime() + 1000)),
    ).toBeNull();
    const later = new Date(t0.getTime() + 61_000);
    expect(await checkpointOrHeartbeat(database.db, settings, 60_000, later)).toMatchObject({ size: 4 });
    const [beat] = await database.db.select().from(auditEvents).where(eq(auditEvents.seq, 3));
    expect(beat).toMatchObject({
      action: "audit.heartbeat",
      actorType: "system",
      details: { checkpointSize: 3 },
    });
    expect(await verifyAuditLog(database.db, verifyOpts)).toMatchObject({ ok: true, events: 4 });
  });

  it("an untouched log verifies clean, against stored and external checkpoints", async () => {
    database = await createTestDatabase(kind);
    const note = await seed(database, 30, 20);
    expect(await createCheckpoint(database.db, settings)).toMatchObject({ size: 30 });
    expect(await createCheckpoint(database.db, settings)).toBeNull();
    const rows = await database.db.select().from(auditEvents).orderBy(auditEvents.seq);
    expect(rows.map((r) => r.seq)).toEqual([...Array(30).keys()]);
    const report = await verifyAuditLog(database.db, { ...verifyOpts, externalCheckpoint: note });
    expect(report).toMatchObject({
      ok: true,
      events: 30,
      checkpointsVerified: 2,
      firstBadSeq: null,
      problems: [],
    });
    expect(report.externalCheckpoint).toEqual({ size: 20, ok: true });
  });

  it("verifies events still pending in the inbox (committed, not yet chained) too", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 3, 0);
    // Committed outside withTransaction, so no sequencer was told: as a crashed process leaves them.
    await database.db.insert(auditInbox).values(
      Array.from({ length: 2 }, () => ({
        id: uuidv7(),
        actorType: "system" as const,
        action: "test.pending",
        outcome: "success" as const,
      })),
    );
    expect(await verifyAuditLog(database.db, verifyOpts)).toMatchObject({ ok: true, events: 5 });
    expect(await database.db.select().from(auditInbox)).toEqual([]);
  });

  it("a rolled-back transaction leaves no gap in seq", async () => {
    database = await createTestDatabase(kind);
    const ctx = testCtx(database);
    await seed(database, 3, 0);
    await expect(
      withTransaction(ctx, async (tx, txCtx) => {
        await emitAudit(tx, txCtx, { action: "test.doomed" });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await seed(database, 2, 0);
    const seqs = (await database.db.select({ seq: auditEvents.seq }).from(auditEvents))
      .map((r) => r.seq)
      .sort((a, b) => a - b);
    expect(seqs).toEqual([0, 1, 2, 3, 4]);
    expect((await verifyAuditLog(database.db, verifyOpts)).ok).toBe(true);
  });

  it("detects a modified details field and names its seq", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 20, 10);
    await asAttacker(database.db, (tx) =>
      tx
        .update(auditEvents)
        .set({ details: { i: 7, text: "nothing to see" } })
        .where(eq(auditEvents.seq, 7)),
    );
    const report = await verifyAuditLog(database.db, verifyOpts);
    expect(report.ok).toBe(false);
    expect(report.firstBadSeq).toBe(7);
    expect(report.problems[0]).toMatchObject({ kind: "modified", seq: 7 });
  });

  it("detects a deleted middle row", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 20, 10);
    await asAttacker(database.db, (tx) => tx.delete(auditEvents).where(eq(auditEvents.seq, 12)));
    const report = await verifyAuditLog(database.db, verifyOpts);
    expect(report.firstBadSeq).toBe(12);
    expect(report.problems[0]).toMatchObject({ kind: "deleted", seq: 12 });
  });

  it("detects two swapped rows", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 20, 10);
    await asAttacker(database.db, async (tx) => {
      await tx.update(auditEvents).set({ seq: -1 }).where(eq(auditEvents.seq, 5));
      await tx.update(auditEvents).set({ seq: 5 }).where(eq(auditEvents.seq, 6));
      await tx.update(auditEvents).set({ seq: 6 }).where(eq(auditEvents.seq, -1));
    });
    const report = await verifyAuditLog(database.db, verifyOpts);
    expect(report.firstBadSeq).toBe(5);
    expect(report.problems[0]).toMatchObject({
      kind: "reordered",
      seq: 5,
      detail: expect.stringContaining("seq 6"),
    });
  });

  it("detects a truncated tail after a checkpoint was shipped, even when the attacker hides every trace in the database", async () => {
    database = await createTestDatabase(kind);
    const shipped = await seed(database, 20, 20);
    await asAttacker(database.db, async (tx) => {
      await tx.delete(auditEvents).where(gte(auditEvents.seq, 15));
      await tx.delete(auditCheckpoints);
      const [last] = await tx.select().from(auditEvents).where(eq(auditEvents.seq, 14));
      await tx.update(auditChainHead).set({ nextSeq: 15, lastHash: last!.leafHash });
    });
    // Without the shipped checkpoint the database alone looks consistent: that is why we ship it.
    expect((await verifyAuditLog(database.db, verifyOpts)).ok).toBe(true);
    const report = await verifyAuditLog(database.db, { ...verifyOpts, externalCheckpoint: shipped });
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: "truncated", seq: 15 });
    expect(report.externalCheckpoint).toEqual({ size: 20, ok: false });
  });

  it("detects history rewritten with recomputed hashes through the signed checkpoint", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 20, 20);
    await asAttacker(database.db, async (tx) => {
      const rows = (await tx.select().from(auditEvents).orderBy(auditEvents.seq)) as AuditRow[];
      let prev = rows[3]!.prevHash;
      for (const row of rows.slice(3)) {
        const edited = {
          ...row,
          prevHash: prev,
          details: row.seq === 3 ? { i: 3, text: "rewritten" } : row.details,
        };
        const leaf = auditLeafHex(edited);
        await tx
          .update(auditEvents)
          .set({ details: edited.details, prevHash: prev, leafHash: leaf })
          .where(eq(auditEvents.seq, row.seq));
        prev = leaf;
      }
      await tx.update(auditChainHead).set({ lastHash: prev });
    });
    const report = await verifyAuditLog(database.db, verifyOpts);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: "checkpoint_mismatch" });
  });

  it("refuses a checkpoint signed by another key", async () => {
    database = await createTestDatabase(kind);
    await seed(database, 5, 5);
    const other = noteSignerFromSeed("enclave.test/audit", randomBytes(32));
    const report = await verifyAuditLog(database.db, {
      ...verifyOpts,
      publicKey: other.publicKey,
      keyName: other.name,
    });
    expect(report.problems[0]).toMatchObject({ kind: "bad_checkpoint_signature" });
  });
});

describe.skipIf(!testDatabaseKinds().includes("postgres"))("audit verify on worker threads", () => {
  let database: DatabaseHandle | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("reports exactly what the single-threaded pass reports, gaps across range boundaries included", async () => {
    database = await createTestDatabase("postgres");
    const shipped = await seed(database, 40, 24);
    await createCheckpoint(database.db, settings);
    await asAttacker(database.db, async (tx) => {
      await tx.delete(auditEvents).where(and(gte(auditEvents.seq, 7), lte(auditEvents.seq, 9)));
      await tx
        .update(auditEvents)
        .set({ details: { forged: true } })
        .where(eq(auditEvents.seq, 13));
      await tx.update(auditEvents).set({ seq: -1 }).where(eq(auditEvents.seq, 16));
      await tx.update(auditEvents).set({ seq: 16 }).where(eq(auditEvents.seq, 17));
      await tx.update(auditEvents).set({ seq: 17 }).where(eq(auditEvents.seq, -1));
      await tx.delete(auditEvents).where(gte(auditEvents.seq, 38));
    });
    const strip = ({ durationMs: _d, verifiedAt: _v, ...r }: Awaited<ReturnType<typeof verifyAuditLog>>) => r;
    const single = await verifyAuditLog(database.db, {
      ...baseOpts,
      externalCheckpoint: shipped,
      threads: 1,
    });
    const parallel = await verifyAuditLog(database.db, {
      ...baseOpts,
      externalCheckpoint: shipped,
      threads: 2,
      rangeSize: 4,
    });
    expect(strip(parallel)).toEqual(strip(single));
    expect(single.problems.map((p) => [p.kind, p.seq])).toEqual(
      expect.arrayContaining([
        ["deleted", 7],
        ["modified", 13],
        ["reordered", 16],
        ["reordered", 17],
        ["checkpoint_mismatch", 23],
        ["truncated", 38],
      ]),
    );
    expect(single.problems.find((p) => p.kind === "deleted")?.detail).toBe(
      "3 event(s) missing before seq 10",
    );
  });

  it("a worker that cannot connect (the role's connection limit) costs speed, not the verification", async () => {
    database = await createTestDatabase("postgres");
    await seed(database, 30, 30);
    const role = `enclave_verify_${randomBytes(4).toString("hex")}`;
    await database.db.execute(
      sql.raw(`create role ${role} login connection limit 1;
        grant usage on schema public to ${role};
        grant select on audit_events, audit_checkpoints, audit_chain_head to ${role};`),
    );
    const url = new URL((database as PostgresHandle).pool.options.connectionString!);
    url.username = role;
    const limited = await openPostgres({ url: url.toString(), poolMax: 1 });
    try {
      const report = await verifyAuditLog(limited.db, { ...baseOpts, threads: 2, rangeSize: 4 });
      expect(report).toMatchObject({ ok: true, events: 30, checkpointsVerified: 1, problems: [] });
      // The limit is real: a second connection as this role is refused while the pool holds one.
      const extra = await openPostgres({ url: url.toString(), poolMax: 1 });
      await expect(extra.ping()).rejects.toThrow();
      await extra.close();
    } finally {
      await limited.close();
      await database.db.execute(sql.raw(`drop owned by ${role}; drop role ${role}`));
    }
  });

  it("an untouched log of many ranges verifies clean on worker threads", async () => {
    database = await createTestDatabase("postgres");
    await seed(database, 37, 33);
    await createCheckpoint(database.db, settings);
    const report = await verifyAuditLog(database.db, { ...baseOpts, threads: 3, rangeSize: 2, batchSize: 1 });
    expect(report).toMatchObject({ ok: true, events: 37, checkpointsVerified: 2, problems: [] });
  });
});
