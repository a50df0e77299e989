import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { queryRows, type Database, type DatabaseHandle } from "./client.ts";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));
const MIGRATIONS_SCHEMA = "drizzle";
const MIGRATIONS_TABLE = "__drizzle_migrations";
// Any constant works; it only has to be the same for every Enclave process.
const MIGRATION_LOCK_KEY = 0x656e636c;

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

export function migrationJournal(): JournalEntry[] {
  const raw = readFileSync(`${migrationsFolder}/meta/_journal.json`, "utf8");
  return (JSON.parse(raw) as { entries: JournalEntry[] }).entries;
}

/**
 * Applies pending migrations. Safe to run from several processes at once: on PostgreSQL an
 * advisory lock serialises them; PGlite has a single connection anyway.
 */
export async function migrateDatabase(handle: DatabaseHandle): Promise<{ applied: number }> {
  const config = {
    migrationsFolder,
    migrationsSchema: MIGRATIONS_SCHEMA,
    migrationsTable: MIGRATIONS_TABLE,
  };
  if (handle.kind === "pglite") {
    // One connection, but two callers could still interleave: chain them.
    const previous = pgliteMigrations.get(handle.client) ?? Promise.resolve();
    const run = previous.then(async () => {
      const before = await appliedMigrationCount(handle.db);
      await migratePglite(handle.db as unknown as PgliteDatabase, config);
      return { applied: (await appliedMigrationCount(handle.db)) - before };
    });
    pgliteMigrations.set(
      handle.client,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  }
  const client = await handle.pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      const db = drizzlePg({ client });
      const before = await appliedMigrationCount(db);
      await migratePg(db, config);
      return { applied: (await appliedMigrationCount(db)) - before };
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

const pgliteMigrations = new WeakMap<object, Promise<void>>();

async function appliedMigrationCount(db: Pick<Database, "execute">): Promise<number> {
  const [exists] = await queryRows<{ present: boolean }>(
    db,
    sql`select to_regclass(${`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`}) is not null as present`,
  );
  if (!exists?.present) return 0;
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)}`,
  );
  return row?.n ?? 0;
}

export interface MigrationStatus {
  current: boolean;
  applied: number;
  expected: number;
}

/** Compares the migrations recorded in the database with those shipped in this build. */
export async function migrationStatus(handle: DatabaseHandle): Promise<MigrationStatus> {
  const expected = migrationJournal().length;
  const applied = await appliedMigrationCount(handle.db);
  return { current: applied >= expected, applied, expected };
}
