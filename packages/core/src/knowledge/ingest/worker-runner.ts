import { Worker } from "node:worker_threads";
import { AppError } from "../../errors/app-error.ts";
import { isErrorCode } from "@enclave/contracts";
import { tooComplex, unreadable } from "./errors.ts";
import type { WorkerInput, WorkerOutput } from "./extract-worker.ts";

// One fresh thread per document: a hostile file can only hurt its own thread, which is
// terminated on timeout (a synchronous parser loop cannot be interrupted any other way) and
// dies on its own when it outgrows its heap.

const WORKER_URL = new URL("./extract-worker.ts", import.meta.url);
let live = 0;

/** Extraction threads currently running (for tests and health checks). */
export function liveExtractionWorkers(): number {
  return live;
}

export function runExtractionWorker(input: WorkerInput): Promise<{ text: string; pageCount?: number }> {
  const { kind, limits } = input;
  // Copy so the caller's buffer is never detached by the transfer.
  const bytes = input.bytes.slice();
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {
      workerData: { ...input, bytes },
      transferList: [bytes.buffer],
      resourceLimits: {
        maxOldGenerationSizeMb: limits.workerMemoryMb,
        maxYoungGenerationSizeMb: 64,
        stackSizeMb: 4,
      },
      // Parser warnings go nowhere rather than into the server log.
      stdout: true,
      stderr: true,
    });
    live++;
    worker.stdout.resume();
    worker.stderr.resume();
    let settled:
      { ok: true; value: { text: string; pageCount?: number } } | { ok: false; error: AppError } | null =
      null;
    const settle = (s: NonNullable<typeof settled>): void => {
      if (settled) return;
      settled = s;
      clearTimeout(timer);
      // Resolve only once the thread is gone, so no work outlives the call.
      void worker.terminate();
    };
    const timer = setTimeout(
      () => settle({ ok: false, error: tooComplex(kind, "time", limits.timeoutMs) }),
      limits.timeoutMs,
    );
    worker.once("message", (out: WorkerOutput) => {
      if (out.ok)
        settle({
          ok: true,
          value:
            out.pageCount === undefined ? { text: out.text } : { text: out.text, pageCount: out.pageCount },
        });
      else
        settle({
          ok: false,
          error: new AppError(
            isErrorCode(out.code) ? out.code : "document_unreadable",
            out.message,
            out.details,
          ),
        });
    });
    worker.once("error", (err: Error & { code?: string }) => {
      settle({
        ok: false,
        error:
          err.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? tooComplex(kind, "memory", limits.workerMemoryMb)
            : unreadable(kind, "it is damaged"),
      });
    });
    worker.once("exit", () => {
      live--;
      settle({ ok: false, error: unreadable(kind, "it is damaged") });
      const s = settled!;
      if (s.ok) resolve(s.value);
      else reject(s.error);
    });
  });
}
