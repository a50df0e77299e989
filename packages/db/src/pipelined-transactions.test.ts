import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type pg from "pg";
import { executeDeferred, executePrepared, openPostgres, queryRows, type PostgresHandle } from "./client.ts";
import {
  createTestDatabase,
  rejectionMessages,
  testPostgresUrl,
  withDatabase,
  type TestDatabaseKind,
} from "../test/harness.ts";
import type { DatabaseHandle } from "./client.ts";

// Round trips are what this saves, so the tests count them: every ReadyForQuery ends one. One
// pooled connection, so "the client" is always the same.
describe.skipIf(!process.env.TEST_DATABASE_URL)("pipelined transactions on PostgreSQL", () => {
  let owner: DatabaseHandle;
  let handle: PostgresHandle;
  let roundTrips = 0;
  let lastClient: pg.PoolClient | undefined;

  beforeAll(async () => {
    owner = await createTestDatabase("postgres" as TestDatabaseKind);
    const [{ name } = { name: "" }] = await queryRows<{ name: string }>(
      owner.db,
      sql`select current_database() as name`,
    );
    handle = await openPostgres({ url: withDatabase(testPostgresUrl(), name), poolMax: 1 });
    handle.pool.on("connect", (client) => {
      lastClient = client;
      (client as unknown as { connection: pg.Connection }).connection.on("readyForQuery", () => roundTrips++);
    });
    await handle.pool.query(`create table pt (id int primary key, note text not null);
      create table pt_late (id int, constraint pt_late_uq unique (id) deferrable initially deferred)`);
  });
  afterAll(async () => {
    await handle.close();
    await owner.close();
  });
  beforeEach(async () => {
    await handle.pool.query("truncate pt, pt_late");
  });

  const insert = (id: number) => sql`insert into pt (id, note) values (${id}, 'n')`;
  const deferredInsert = (id: number) => sql`insert into pt (id, note) values (${id}, 'deferred')`;
  const ids = async () =>
    (await handle.pool.query<{ id: number }>("select id from pt order by id")).rows.map((r) => r.id);
  /** True when the pooled connection is not left inside a transaction block. */
  const clean = async () =>
    (await handle.pool.query<{ ok: boolean }>("select now() = statement_timestamp() as ok")).rows[0]!.ok;
  const counted = async (fn: () => Promise<unknown>) => {
    await handle.pool.query("select 1"); // connected, and outside the count
    const before = roundTrips;
    await fn();
    return roundTrips - before;
  };

  it("sends BEGIN with the first statement: one statement and COMMIT take two round trips", async () => {
    const trips = await counted(() =>
      handle.db.transaction(async (tx) => void (await tx.execute(insert(1)))),
    );
    expect(trips).toBe(2);
    expect(await ids()).toEqual([1]);
  });

  it("sends a deferred statement with COMMIT: an audited-style transaction also takes two", async () => {
    const trips = await counted(() =>
      handle.db.transaction(async (tx) => {
        await tx.execute(insert(1));
        await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(2));
      }),
    );
    expect(trips).toBe(2);
    expect(await ids()).toEqual([1, 2]);
    // Again on the same connection, now that the statement is parsed there.
    await handle.db.transaction(async (tx) => {
      await tx.execute(insert(3));
      await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(4));
    });
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it("sends nothing for a transaction that ran no statement, whether it returns or throws", async () => {
    expect(await counted(() => handle.db.transaction(async () => {}))).toBe(0);
    let thrown: unknown;
    const trips = await counted(() =>
      handle.db
        .transaction(async () => {
          throw new Error("changed my mind");
        })
        .catch((err: unknown) => {
          thrown = err;
        }),
    );
    expect(trips).toBe(0);
    expect((thrown as Error).message).toBe("changed my mind");
    expect(await clean()).toBe(true);
  });

  it("a failing first statement commits nothing and leaves the connection clean", async () => {
    await handle.pool.query("insert into pt values (1, 'there')");
    const messages = await rejectionMessages(
      handle.db.transaction(async (tx) => {
        await tx.execute(insert(1));
        await tx.execute(insert(2));
      }),
    );
    expect(messages).toContain("duplicate key value violates unique constraint");
    expect(await ids()).toEqual([1]);
    expect(await clean()).toBe(true);
  });

  it("a failing deferred statement skips COMMIT: its error surfaces and nothing of the transaction is kept", async () => {
    await handle.pool.query("insert into pt values (5, 'there')");
    let code: unknown;
    await handle.db
      .transaction(async (tx) => {
        await tx.execute(insert(6));
        await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(5));
      })
      .catch((err: { cause?: { code?: string } }) => {
        code = err.cause?.code;
      });
    expect(code).toBe("23505");
    expect(await ids()).toEqual([5]);
    expect(await clean()).toBe(true);
    // The connection goes on working, the deferred statement too.
    await handle.db.transaction(async (tx) => {
      await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(7));
    });
    expect(await ids()).toEqual([5, 7]);
  });

  it("a COMMIT that fails at commit time (a deferred constraint) rejects, with or without a deferred statement", async () => {
    for (const withDeferred of [false, true]) {
      await handle.pool.query("truncate pt, pt_late");
      const messages = await rejectionMessages(
        handle.db.transaction(async (tx) => {
          await tx.execute(sql`insert into pt_late values (1), (1)`);
          if (withDeferred) await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(8));
        }),
      );
      expect(messages).toContain("pt_late_uq");
      expect(await ids()).toEqual([]);
      expect((await handle.pool.query("select count(*)::int as n from pt_late")).rows[0].n).toBe(0);
      expect(await clean()).toBe(true);
    }
  });

  it("a COMMIT of a transaction that had already failed is an error, not a silent rollback", async () => {
    await handle.pool.query("insert into pt values (1, 'there')");
    const messages = await rejectionMessages(
      handle.db.transaction(async (tx) => {
        await tx.execute(insert(2));
        await tx.execute(insert(1)).catch(() => {}); // swallowed: the transaction is aborted now
      }),
    );
    expect(messages).toContain("rolled back, not committed");
    expect(await ids()).toEqual([1]);
  });

  it("a statement after a deferred one sees it (order kept), and ROLLBACK drops a deferred one unsent", async () => {
    await handle.db.transaction(async (tx) => {
      await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(20));
      const seen = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from pt where id = 20`);
      expect(seen[0]!.n).toBe(1);
    });
    expect(await ids()).toEqual([20]);
    await handle.db
      .transaction(async (tx) => {
        await tx.execute(insert(21));
        await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(22));
        tx.rollback();
      })
      .catch(() => {});
    expect(await ids()).toEqual([20]);
    expect(await clean()).toBe(true);
  });

  it("savepoints and isolation levels work as before", async () => {
    await handle.db.transaction(async (tx) => {
      await tx.execute(insert(1));
      await tx
        .transaction(async (inner) => {
          await inner.execute(insert(2));
          throw new Error("undo the inner one");
        })
        .catch(() => {});
      await executeDeferred(tx, "enclave_test_deferred_insert", deferredInsert(3));
    });
    expect(await ids()).toEqual([1, 3]);
    await handle.db.transaction(
      async (tx) => {
        const [row] = await queryRows<{ level: string }>(
          tx,
          sql`select current_setting('transaction_isolation') as level`,
        );
        expect(row!.level).toBe("serializable");
      },
      { isolationLevel: "serializable" },
    );
  });

  it("a named statement whose first Parse fails is not booked as parsed (BEGIN goes alone before it)", async () => {
    for (let i = 0; i < 2; i++) {
      const messages = await rejectionMessages(
        handle.db.transaction(async (tx) => {
          await executePrepared(tx, "enclave_test_broken", sql`selec ${i}::int`);
        }),
      );
      // Both times the server's own answer, not "prepared statement does not exist".
      expect(messages).toContain("syntax error");
    }
    expect(lastClient).toBeDefined();
    expect(await clean()).toBe(true);
  });
});
