import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { executePrepared, hasSqlState, queryRows, type DatabaseHandle } from "./client.ts";
import { createTestDatabase, testDatabaseKinds } from "../test/harness.ts";

describe.each(testDatabaseKinds())("executePrepared on %s", (kind) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
  });
  afterAll(() => handle.close());

  const statement = (n: number) => sql`select ${n}::int + 1 as next, ${`v${n}`}::text as label`;

  it("runs the same named statement again with new parameters, in and outside a transaction", async () => {
    for (const n of [1, 2, 3]) {
      const { rows } = await executePrepared<{ next: number; label: string }>(
        handle.db,
        "enclave_test_next",
        statement(n),
      );
      expect(rows).toEqual([{ next: n + 1, label: `v${n}` }]);
    }
    await handle.db.transaction(async (tx) => {
      const { rows } = await executePrepared<{ next: number }>(tx, "enclave_test_next", statement(41));
      expect(rows[0]?.next).toBe(42);
      if (kind === "postgres") {
        // Same connection as the transaction: the statement is held by the server, by name.
        const held = await queryRows<{ name: string; statement: string }>(
          tx,
          sql`select name, statement from pg_prepared_statements where name = 'enclave_test_next'`,
        );
        expect(held).toHaveLength(1);
        expect(held[0]!.statement).toContain("$1::int + 1");
      }
    });
  });

  it("refuses a statement that fails, and the name stays usable", async () => {
    const failed: unknown = await executePrepared(
      handle.db,
      "enclave_test_fail",
      sql`select 1 / ${0}::int`,
    ).then(
      () => null,
      (e: unknown) => e,
    );
    const error = failed as Error & { cause?: Error };
    expect(String(error?.cause?.message ?? error?.message)).toMatch(/division by zero/);
    const { rows } = await executePrepared<{ next: number }>(handle.db, "enclave_test_next", statement(9));
    expect(rows[0]?.next).toBe(10);
  });
});

describe.each(testDatabaseKinds())("hasSqlState on %s", (kind) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase(kind);
  });
  afterAll(() => handle.close());

  it("finds the SQLSTATE of a real driver error through Drizzle's wrapping, and only that one", async () => {
    // A plain table: a pool may run each statement on another connection.
    const table = sql.raw(`sqlstate_probe_${Date.now()}`);
    await handle.db.execute(sql`create table ${table} (id int primary key)`);
    await handle.db.execute(sql`insert into ${table} values (1)`);
    const err = await handle.db.execute(sql`insert into ${table} values (1)`).then(
      () => null,
      (e: unknown) => e,
    );
    await handle.db.execute(sql`drop table ${table}`);
    expect(err).not.toBeNull();
    expect(hasSqlState(err, "23505")).toBe(true); // unique_violation
    expect(hasSqlState(err, "42501")).toBe(false);
    expect(hasSqlState(new Error("plain"), "23505")).toBe(false);
    expect(hasSqlState("23505", "23505")).toBe(false);
    expect(hasSqlState(null, "23505")).toBe(false);
  });
});
