import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { PgDialect, type PgDatabase, type PgQueryResultHKT, type PgTransaction } from "drizzle-orm/pg-core";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { sql, type SQL } from "drizzle-orm";
import pg from "pg";
import { markDeferrable, pipelineTransactions, resetPipelinedClient } from "./pipelined-transactions.ts";

type NoRelations = Record<string, never>;
/**
 * The Drizzle handle every verb uses, whichever driver is underneath. Opened without the schema:
 * nothing uses Drizzle's relational `db.query.*` API, and with a schema every transaction object
 * builds a query builder per table (measured: 4–7 % of the process's CPU per short transaction).
 */
export type Database = PgDatabase<PgQueryResultHKT, NoRelations>;
export type Transaction = PgTransaction<
  PgQueryResultHKT,
  NoRelations,
  ExtractTablesWithRelations<NoRelations>
>;

export type DatabaseKind = "pglite" | "postgres";

/** Runs raw SQL and returns its rows; both drivers answer `{ rows }`. */
export async function queryRows<T>(db: Pick<Database, "execute">, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as { rows: T[] };
  return result.rows;
}

/** Whether `err`, or an error it wraps (Drizzle wraps driver errors in `cause`), has this SQLSTATE. */
export function hasSqlState(err: unknown, code: string): boolean {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

const dialect = new PgDialect();

/**
 * Raw SQL as a named prepared statement: PostgreSQL parses and plans it once per connection, and
 * later executions send only the parameters. For the hottest statements only; one name must always
 * carry the same text (node-postgres refuses a name reused with other text). Behind a connection
 * pooler in transaction mode this needs protocol-level prepared statement support (PgBouncer
 * 1.21+ with max_prepared_statements).
 */
export async function executePrepared<T>(
  db: Pick<Database, "_">,
  name: string,
  query: SQL,
): Promise<{ rows: T[] }> {
  const built = dialect.sqlToQuery(query);
  return (await db._.session.prepareQuery(built, undefined, name, false).execute()) as { rows: T[] };
}

/**
 * Like executePrepared, but inside a node-postgres transaction the execution may wait and travel
 * with COMMIT in one round trip (pipelined-transactions.ts): the result is empty, and an error
 * surfaces from COMMIT, which rolls the transaction back. Only for a statement whose result
 * nobody reads and that runs last before COMMIT (a later statement sends it first, in order).
 * Elsewhere, and on PGlite, it runs at once.
 */
export async function executeDeferred(db: Pick<Database, "_">, name: string, query: SQL): Promise<void> {
  markDeferrable(name);
  await executePrepared(db, name, query);
}

interface HandleBase {
  readonly db: Database;
  /** Runs a trivial query; throws when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
export interface PgliteHandle extends HandleBase {
  readonly kind: "pglite";
  readonly client: PGlite;
}
export interface PostgresHandle extends HandleBase {
  readonly kind: "postgres";
  readonly pool: pg.Pool;
}
export type DatabaseHandle = PgliteHandle | PostgresHandle;

export interface PostgresOptions {
  url: string;
  poolMax?: number;
  /** PEM file of the CA that signed the server certificate; forces verified TLS. */
  caFile?: string;
  applicationName?: string;
  /** BEGIN and a deferred last statement travel with their neighbours (default true). */
  pipelineTransactions?: boolean;
}

export interface PgliteOptions {
  /** Directory for the data files; omit for an in-memory database. */
  dataDir?: string;
  /** A tarball from `dumpDataDir()`: start from a copy instead of running initdb. */
  loadDataDir?: Blob;
}

export const pgliteExtensions = { vector };

/** Opens an embedded PGlite database (with pgvector available). */
export async function openPglite(opts: PgliteOptions = {}): Promise<PgliteHandle> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const client = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    extensions: pgliteExtensions,
  });
  await client.exec("SET TIME ZONE 'UTC'");
  const db = drizzlePglite({ client }) as unknown as Database;
  return {
    kind: "pglite",
    db,
    client,
    ping: async () => {
      await client.query("select 1");
    },
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

/** Builds node-postgres pool options; TLS comes from `sslmode` in the URL or from a CA file. */
export function postgresPoolConfig(opts: PostgresOptions): pg.PoolConfig {
  const config: pg.PoolConfig = {
    connectionString: opts.url,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? "enclave",
    options: "-c timezone=UTC",
  };
  if (opts.caFile) {
    const url = new URL(opts.url);
    for (const key of ["sslmode", "sslrootcert", "sslcert", "sslkey"]) url.searchParams.delete(key);
    config.connectionString = url.toString();
    config.ssl = { ca: readFileSync(opts.caFile, "utf8"), rejectUnauthorized: true };
  }
  return config;
}

/** Opens a pooled connection to PostgreSQL 15+. */
export async function openPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const pool = new pg.Pool(postgresPoolConfig(opts));
  // An idle client that loses its connection must not crash the process.
  pool.on("error", () => {});
  if (opts.pipelineTransactions !== false) {
    pool.on("connect", pipelineTransactions);
    pool.on("acquire", resetPipelinedClient);
  }
  const db = drizzlePg({ client: pool }) as unknown as Database;
  let closed = false;
  return {
    kind: "postgres",
    db,
    pool,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

export interface OpenDatabaseOptions {
  url?: string | undefined;
  dataDir: string;
  poolMax?: number;
  caFile?: string | undefined;
}

/** `url` set → PostgreSQL; otherwise PGlite in `<dataDir>/pg`. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (opts.url) {
    return openPostgres({
      url: opts.url,
      ...(opts.poolMax ? { poolMax: opts.poolMax } : {}),
      ...(opts.caFile ? { caFile: opts.caFile } : {}),
    });
  }
  return openPglite({ dataDir: `${opts.dataDir}/pg` });
}
