// Shared set-up for server tests: a config, a migrated test database and an app built on them.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { asc, type SQL } from "drizzle-orm";
import { flushAuditInbox, InProcessQueue } from "@enclave/core";
import { auditEvents, type Database, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase } from "@enclave/db/testing";
import { loadConfig, type Config } from "../src/config.ts";
import { buildApp, type AppDeps } from "../src/http/build-app.ts";
import { createLogger } from "../src/http/logger.ts";

export const TEST_SECRET_KEY = "q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy";

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    ENCLAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "enclave-test-")),
    SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: "info",
    ...env,
  });
}

/** Collects every log line the app writes, parsed, plus the raw text for "never appears" checks. */
export function captureLogs() {
  const raw: string[] = [];
  const logger = createLogger("info", { write: (line: string) => void raw.push(line) });
  return {
    logger,
    raw,
    text: () => raw.join(""),
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface TestApp {
  app: FastifyInstance;
  database: DatabaseHandle;
  close(): Promise<void>;
}

export async function createTestApp(
  opts: { env?: Record<string, string>; database?: DatabaseHandle } & Partial<
    Omit<AppDeps, "database" | "queue">
  > = {},
): Promise<TestApp> {
  const database = opts.database ?? (await createTestDatabase());
  const logger = opts.logger ?? pino({ level: "silent" });
  const queue = new InProcessQueue(logger);
  const { env, database: _db, ...deps } = opts;
  const app = await buildApp(testConfig(env), { ...deps, database, queue, logger });
  return {
    app,
    database,
    close: async () => {
      await app.close();
      await queue.close();
      await database.close();
    },
  };
}

/**
 * The audit events matching `where`, in seq order, read after a flush: a transaction returns
 * before its events are chained into audit_events.
 */
export async function auditRows(db: Database, where?: SQL) {
  await flushAuditInbox(db);
  return db.select().from(auditEvents).where(where).orderBy(asc(auditEvents.seq));
}
