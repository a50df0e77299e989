import type { Logger } from "pino";
import { flushAuditInbox, InProcessQueue, type Queue } from "@enclave/core";
import { migrateDatabase, migrationStatus, openDatabase, type DatabaseHandle } from "@enclave/db";
import type { Config } from "./config.ts";
import { BullmqQueue } from "./jobs/bullmq-queue.ts";

export interface Runtime {
  database: DatabaseHandle;
  queue: Queue;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Apply pending migrations at start (embedded mode and `start` outside production). */
  migrate: boolean;
}

/** Opens the database and the queue the configuration asks for. */
export async function openRuntime(config: Config, log: Logger, opts: RuntimeOptions): Promise<Runtime> {
  const database = await openDatabase({
    url: config.database.url,
    dataDir: config.dataDir,
    poolMax: config.database.poolMax,
    caFile: config.database.caFile,
  });
  try {
    if (opts.migrate) {
      const { applied } = await migrateDatabase(database);
      if (applied > 0) log.info({ applied }, "database migrations applied");
    } else {
      const status = await migrationStatus(database);
      if (!status.current) {
        log.warn(
          status,
          "database migrations are pending: run `enclave migrate`; /readyz answers 503 until then",
        );
      }
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const queue: Queue = config.redis.url
    ? new BullmqQueue({ url: config.redis.url, log, concurrency: config.worker.concurrency })
    : new InProcessQueue(log, config.worker.concurrency);
  return {
    database,
    queue,
    close: async () => {
      await queue.close();
      // Chain what this process's transactions committed (it would wait in the inbox for the
      // next process's flush otherwise); a failure here loses nothing.
      await flushAuditInbox(database.db).catch((err: unknown) =>
        log.warn({ err }, "audit events stay pending in audit_inbox until the next flush"),
      );
      await database.close();
    },
  };
}

/** Whether a process of this kind should migrate on its own at start. */
export function shouldAutoMigrate(config: Config, command: "start" | "serve" | "worker"): boolean {
  if (!config.database.url) return true; // embedded: nobody else will
  return command === "start" && !config.production;
}
