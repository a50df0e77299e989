// Test-only helpers: a fresh, migrated database per test file, cloned from a template that
// the global setup migrated once (a PGlite data-dir dump, or a PostgreSQL template database).
import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openPglite, openPostgres, type DatabaseHandle } from "../src/client.ts";

declare module "vitest" {
  export interface ProvidedContext {
    enclavePgliteSnapshot: string;
    enclavePgTemplate: string | null;
  }
}

export type TestDatabaseKind = "pglite" | "postgres";

/** Which database kinds this run covers: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
}

/** The kind a test that runs on one database should use: the real server when there is one. */
export function defaultTestDatabaseKind(): TestDatabaseKind {
  return process.env.TEST_DATABASE_URL ? "postgres" : "pglite";
}

let snapshot: Blob | undefined;

export async function createTestDatabase(
  kind: TestDatabaseKind = defaultTestDatabaseKind(),
): Promise<DatabaseHandle> {
  if (kind === "pglite") {
    snapshot ??= new Blob([await readFile(inject("enclavePgliteSnapshot"))]);
    return openPglite({ loadDataDir: snapshot });
  }
  const adminUrl = requirePgUrl();
  const template = inject("enclavePgTemplate");
  if (!template) throw new Error("global setup did not create a PostgreSQL template database");
  const name = `enclave_t_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  const handle = await openPostgres({ url: withDatabase(adminUrl, name), poolMax: 4 });
  const close = handle.close;
  return Object.assign(handle, {
    close: async () => {
      await close();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  });
}

/** URL of a throwaway database created by `createTestDatabase("postgres")`-style callers. */
export function testPostgresUrl(): string {
  return requirePgUrl();
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function requirePgUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DATABASE_URL is not set");
  return url;
}

/** Resolves to the message chain of a rejected promise (Drizzle wraps driver errors in `cause`). */
export async function rejectionMessages(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const messages: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
    return messages.join(" | ");
  }
  throw new Error("expected the promise to reject");
}
