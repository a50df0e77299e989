import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { openPglite, openPostgres, queryRows } from "./client.ts";
import { migrateDatabase, migrationJournal, migrationStatus } from "./migrate.ts";
import { auditEvents } from "./schema/index.ts";
import {
  adminQuery,
  createTestDatabase,
  rejectionMessages,
  testDatabaseKinds,
  testPostgresUrl,
  withDatabase,
} from "../test/harness.ts";

// The hash chain itself is core's business (packages/core/src/audit); here any values do.
const chainFields = (seq: number) => ({ seq, prevHash: "0".repeat(64), leafHash: "f".repeat(64) });

describe.each(testDatabaseKinds())("migrations on %s", (kind) => {
  it("apply cleanly to an empty database, and a second run is a no-op", async () => {
    if (kind === "pglite") {
      const handle = await openPglite();
      try {
        expect(await migrationStatus(handle)).toMatchObject({ current: false, applied: 0 });
        expect((await migrateDatabase(handle)).applied).toBe(migrationJournal().length);
        expect((await migrateDatabase(handle)).applied).toBe(0);
        expect(await migrationStatus(handle)).toMatchObject({ current: true });
      } finally {
        await handle.close();
      }
      return;
    }
    const adminUrl = testPostgresUrl();
    const name = `enclave_m_${Date.now().toString(36)}_${process.pid}`;
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
    const handle = await openPostgres({ url: withDatabase(adminUrl, name), poolMax: 3 });
    try {
      // Two migrators racing (two replicas starting at once) must not both apply.
      const results = await Promise.all([migrateDatabase(handle), migrateDatabase(handle)]);
      expect(results.map((r) => r.applied).sort()).toEqual([0, migrationJournal().length]);
      expect((await migrateDatabase(handle)).applied).toBe(0);
      expect(await migrationStatus(handle)).toMatchObject({ current: true });
    } finally {
      await handle.close();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it("stores timestamps as timestamptz and ids as UUIDv7", async () => {
    const handle = await createTestDatabase(kind);
    try {
      const [row] = await handle.db
        .insert(auditEvents)
        .values({ ...chainFields(0), actorType: "system", action: "test.ping", outcome: "success" })
        .returning();
      expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row?.createdAt).toBeInstanceOf(Date);
      const [column] = await queryRows<{ data_type: string }>(
        handle.db,
        sql`select data_type from information_schema.columns where table_name = 'audit_events' and column_name = 'created_at'`,
      );
      expect(column?.data_type).toBe("timestamp with time zone");
    } finally {
      await handle.close();
    }
  });
});

describe.each(testDatabaseKinds())("audit_events is append-only on %s", (kind) => {
  it("rejects UPDATE, DELETE and TRUNCATE at the database level", async () => {
    const handle = await createTestDatabase(kind);
    try {
      await handle.db
        .insert(auditEvents)
        .values({ ...chainFields(0), actorType: "system", action: "test.one", outcome: "success" });
      for (const statement of [
        sql`update audit_events set action = 'forged'`,
        sql`delete from audit_events`,
        sql`truncate audit_events`,
      ]) {
        expect(await rejectionMessages(handle.db.execute(statement))).toMatch(/audit_events is append-only/);
      }
      const rows = await handle.db.select().from(auditEvents);
      expect(rows.map((r) => r.action)).toEqual(["test.one"]);
    } finally {
      await handle.close();
    }
  });
});
