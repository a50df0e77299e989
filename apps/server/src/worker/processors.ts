import type { Log, Queue } from "@enclave/core";

/** Registers every job processor. Each parses its payload (the queue does) and calls a core verb. */
export function registerProcessors(queue: Queue, log: Log): void {
  queue.process("system.echo", async (payload, job) => {
    log.info({ jobId: job.id, message: payload.message }, "echo job processed");
  });
}
