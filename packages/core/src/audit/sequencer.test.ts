import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { asc, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import {
  auditEvents,
  auditInbox,
  openPostgres,
  queryRows,
  type DatabaseHandle,
  type PostgresHandle,
} from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { withTransaction } from "../context/transaction.ts";
import { testCtx } from "../../test/ctx.ts";
import { emitAudit, recordAudit } from "./emit-audit.ts";
import { chainCommitted, flushAuditInbox } from "./sequencer.ts";
import { auditLeafHex, GENESIS_HASH, insertIntoInbox } from "./chain.ts";

describe.each(testDatabaseKinds())("audit sequencer on %s", (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(() => database.close());

  /** Flushes (transactions return before their events are chained), then checks every link. */
  async function chainIsWhole(): Promise<number> {
    await flushAuditInbox(database.db);
    const rows = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    let prev = GENESIS_HASH;
    rows.forEach((row, i) => {
      expect(row.seq).toBe(i);
      expect(row.prevHash).toBe(prev);
      expect(auditLeafHex(row)).toBe(row.leafHash);
      prev = row.leafHash;
    });
    return rows.length;
  }

  it("chains concurrent transactions' events gapless: committed on return, chained once flushed", async () => {
    const ctx = testCtx(database);
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        await withTransaction(ctx, (tx, c) =>
          emitAudit(tx, c, { action: "test.concurrent", details: { i } }),
        );
        // Committed with the transaction: pending in the inbox or chained already, never lost.
        const [mine] = await queryRows<{ n: number }>(
          database.db,
          sql`select (select count(*) from audit_inbox where action = 'test.concurrent' and details = ${JSON.stringify({ i })}::jsonb)
                   + (select count(*) from audit_events where action = 'test.concurrent' and details = ${JSON.stringify({ i })}::jsonb) as n`,
        );
        expect(Number(mine?.n)).toBe(1);
      }),
    );
    expect(await chainIsWhole()).toBe(40);
    expect(await database.db.select().from(auditInbox)).toEqual([]);
    // The hand-over batches transactions into shared runs too.
    const [runs] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(distinct xmin::text)::int as n from audit_events where action = 'test.concurrent'`,
    );
    expect(runs!.n).toBeLessThan(40);
  });

  // The chain head locked by someone else stands for a sequencer that cannot run (a slow or
  // failing database path): the business transaction must still complete, its event safe in the inbox.
  it.skipIf(kind === "pglite")(
    "a transaction does not wait for the chain: it returns while the head is locked, and its event is chained afterwards",
    async () => {
      const before = await chainIsWhole();
      const locker = new pg.Client({
        connectionString: (database as PostgresHandle).pool.options.connectionString!,
      });
      await locker.connect();
      try {
        await locker.query("begin; select 1 from audit_chain_head where id = 1 for update");
        const ctx = testCtx(database);
        await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "test.no-wait" }));
        const pending = await database.db.select().from(auditInbox);
        expect(pending.map((e) => e.action)).toEqual(["test.no-wait"]);
        await locker.query("rollback");
        await flushAuditInbox(database.db);
      } finally {
        await locker.end();
      }
      expect(await chainIsWhole()).toBe(before + 1);
      expect(await database.db.select().from(auditInbox)).toEqual([]);
    },
  );

  it.skipIf(kind === "pglite")(
    "rows handed over after their commit that another process already chained are not chained twice",
    async () => {
      const before = await chainIsWhole();
      const other = await openPostgres({
        url: (database as PostgresHandle).pool.options.connectionString!,
        poolMax: 2,
      });
      try {
        const ctx = testCtx(database);
        const rows = [1, 2].map((n) => ({
          id: uuidv7(),
          createdAt: new Date(),
          workspaceId: null,
          actorType: "system" as const,
          actorId: "late",
          ip: null,
          userAgent: null,
          action: "test.handed-late",
          targetType: null,
          targetId: null,
          outcome: "success" as const,
          requestId: null,
          details: { n },
        }));
        // Committed to the inbox, then chained by the other process before this one's run...
        await database.db.transaction((tx) => insertIntoInbox(tx, rows));
        await flushAuditInbox(other.db);
        // ...while this process's remembered head is the current one, so only the pending check
        // stands between the hand-over and a duplicate.
        await flushAuditInbox(database.db);
        const errors: unknown[] = [];
        chainCommitted(database.db, rows, (err) => errors.push(err));
        await recordAudit(ctx, { action: "test.handed-late-after" });
        expect(errors).toEqual([]);
      } finally {
        await other.close();
      }
      expect(await chainIsWhole()).toBe(before + 3);
      const [late] = await queryRows<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from audit_events where action = 'test.handed-late'`,
      );
      expect(late!.n).toBe(2);
    },
  );

  it("records standalone events in shared runs: gapless with transactions' events, each caller sees its own", async () => {
    const before = await chainIsWhole();
    const ctx = testCtx(database);
    await Promise.all([
      ...Array.from({ length: 40 }, async (_, i) => {
        await recordAudit(ctx, { action: "test.standalone", outcome: "denied", details: { i } });
        const [mine] = await queryRows<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from audit_events
              where action = 'test.standalone' and details = ${JSON.stringify({ i })}::jsonb`,
        );
        expect(mine?.n).toBe(1);
      }),
      ...Array.from({ length: 10 }, (_, i) =>
        withTransaction(ctx, (tx, c) =>
          emitAudit(tx, c, { action: "test.standalone-mixed", details: { i } }),
        ),
      ),
    ]);
    expect(await chainIsWhole()).toBe(before + 50);
    // Rows written by one transaction share its xmin: 40 callers did not take 40 transactions.
    const [runs] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(distinct xmin::text)::int as n from audit_events where action = 'test.standalone'`,
    );
    expect(runs!.n).toBeLessThan(10);
    expect(await database.db.select().from(auditInbox)).toEqual([]);
  });

  it("a standalone event inside a transaction joins it, and rolls back with it", async () => {
    const before = await chainIsWhole();
    const ctx = testCtx(database);
    await expect(
      withTransaction(ctx, async (_tx, c) => {
        await recordAudit(c, { action: "test.standalone-rolled-back" });
        throw new Error("the action failed");
      }),
    ).rejects.toThrow("the action failed");
    await withTransaction(ctx, (_tx, c) => recordAudit(c, { action: "test.standalone-joined" }));
    expect(await chainIsWhole()).toBe(before + 1);
    const actions = (await database.db.select().from(auditEvents)).map((e) => e.action);
    expect(actions).toContain("test.standalone-joined");
    expect(actions).not.toContain("test.standalone-rolled-back");
  });

  it("a run that fails rejects every caller in it and writes none of their events", async () => {
    const before = await chainIsWhole();
    const ctx = testCtx(database);
    await recordAudit(ctx, { action: "test.fail-first" });
    // Called together, these two share one run, which the bad outcome makes fail
    // (audit_events' check constraint) as a whole.
    const bad = recordAudit(ctx, { action: "test.fail-bad", outcome: "bogus" as "success" });
    const neighbour = recordAudit(ctx, { action: "test.fail-neighbour" });
    await expect(bad).rejects.toThrow();
    await expect(neighbour).rejects.toThrow();
    await recordAudit(ctx, { action: "test.fail-after" });
    expect(await chainIsWhole()).toBe(before + 2);
    const actions = (await database.db.select().from(auditEvents)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["test.fail-first", "test.fail-after"]));
    expect(actions).not.toContain("test.fail-neighbour");
  });

  // Two handles on one database stand for two server processes, each with its own sequencer.
  it.skipIf(kind === "pglite")(
    "two processes sequencing at once chain every event exactly once, without deadlock or fork",
    async () => {
      const before = await chainIsWhole();
      const other = await openPostgres({
        url: (database as PostgresHandle).pool.options.connectionString!,
        poolMax: 4,
      });
      try {
        const ctxs = [testCtx(database), { ...testCtx(database), db: other.db }];
        await Promise.all(
          Array.from({ length: 16 }, async (_, w) => {
            const ctx = ctxs[w % 2]!;
            for (let i = 0; i < 15; i++) {
              // Handed-over events run on each process's remembered head, which the other
              // process keeps moving: a stale head must cost a retry, never a fork or a gap.
              if (i % 2 === 0) await recordAudit(ctx, { action: "test.two-processes", details: { w, i } });
              else {
                await withTransaction(ctx, (tx, c) =>
                  emitAudit(tx, c, { action: "test.two-processes", details: { w, i } }),
                );
                await flushAuditInbox(ctx.db);
              }
              const [mine] = await queryRows<{ n: number }>(
                ctx.db,
                sql`select count(*)::int as n from audit_events
                    where action = 'test.two-processes' and details = ${JSON.stringify({ w, i })}::jsonb`,
              );
              expect(mine?.n).toBe(1);
            }
          }),
        );
      } finally {
        await other.close();
      }
      expect(await chainIsWhole()).toBe(before + 16 * 15);
      expect(await database.db.select().from(auditInbox)).toEqual([]);
    },
  );

  // The runtime role of docs/operations/database.md: no UPDATE on audit_inbox, so the sequencer
  // must not need row locks there (SELECT … FOR UPDATE would need UPDATE privilege).
  it.skipIf(kind === "pglite")("sequences as the least-privileged runtime role", async () => {
    const before = await chainIsWhole();
    const role = `enclave_app_${randomBytes(4).toString("hex")}`;
    const url = new URL((database as PostgresHandle).pool.options.connectionString!);
    await database.db.execute(sql.raw(`create role ${role} login`));
    try {
      await database.db.execute(
        sql.raw(`grant usage on schema public to ${role};
          grant select, insert, update, delete on all tables in schema public to ${role};
          revoke update, delete, truncate on audit_events, audit_checkpoints from ${role};
          revoke update, truncate on audit_inbox from ${role};`),
      );
      url.username = role;
      const app = await openPostgres({ url: url.toString(), poolMax: 4 });
      try {
        const ctx = { ...testCtx(database), db: app.db };
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            i % 2 === 0
              ? withTransaction(ctx, (tx, c) =>
                  emitAudit(tx, c, { action: "test.least-privilege", details: { i } }),
                )
              : recordAudit(ctx, { action: "test.least-privilege", details: { i } }),
          ),
        );
        await flushAuditInbox(app.db);
        // 42501 insufficient_privilege: the role really lacks UPDATE on the inbox.
        await expect(app.db.update(auditInbox).set({ action: "x" })).rejects.toMatchObject({
          cause: { code: "42501" },
        });
      } finally {
        await app.close();
      }
    } finally {
      await database.db.execute(sql.raw(`drop owned by ${role}; drop role ${role}`));
    }
    expect(await chainIsWhole()).toBe(before + 8);
    expect(await database.db.select().from(auditInbox)).toEqual([]);
  });

  it("chains events a crashed process left committed in the inbox", async () => {
    const before = await chainIsWhole();
    await database.db.insert(auditInbox).values(
      [1, 2, 3].map((n) => ({
        id: uuidv7(),
        actorType: "system" as const,
        actorId: "crashed",
        action: "test.orphan",
        outcome: "success" as const,
        details: { n },
      })),
    );
    await flushAuditInbox(database.db);
    expect(await chainIsWhole()).toBe(before + 3);
    expect(await database.db.select().from(auditInbox)).toEqual([]);
  });

  it("refuses to edit a pending event in place", async () => {
    await database.db.insert(auditInbox).values({
      id: uuidv7(),
      actorType: "system",
      action: "test.pending",
      outcome: "success",
    });
    await expect(database.db.update(auditInbox).set({ action: "test.forged" })).rejects.toThrow();
    await flushAuditInbox(database.db);
  });
});
