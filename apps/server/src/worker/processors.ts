import {
  indexDocument,
  purgeExpiredConversations,
  systemCtx,
  type Log,
  type Queue,
  type Services,
} from "@enclave/core";
import type { Database } from "@enclave/db";

export interface ProcessorDeps {
  db: Database;
  services?: Services;
}

/** Registers every job processor. Each parses its payload (the queue does) and calls a core verb. */
export function registerProcessors(queue: Queue, log: Log, deps: ProcessorDeps): void {
  queue.process("system.echo", async (payload, job) => {
    log.info({ jobId: job.id, message: payload.message }, "echo job processed");
  });

  queue.process("apps.retention_purge", async (_payload, job) => {
    const ctx = systemCtx({ db: deps.db, log, services: deps.services ?? {} }, "retention-purge", job.id);
    const purged = await purgeExpiredConversations(ctx, new Date());
    if (purged.apps > 0) log.info({ jobId: job.id, ...purged }, "expired conversations purged");
  });

  queue.process("knowledge.index_document", async (payload, job) => {
    const ctx = systemCtx({ db: deps.db, log, services: deps.services ?? {} }, "knowledge-indexing", job.id);
    await indexDocument(ctx, payload);
  });
}
