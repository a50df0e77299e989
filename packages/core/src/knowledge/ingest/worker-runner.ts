import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { AppError } from "../../errors/app-error.ts";
import { isErrorCode } from "@enclave/contracts";
import { tooComplex, unreadable } from "./errors.ts";
import type { WorkerInput, WorkerOutput } from "./extract-worker.ts";

// One fresh thread per document: a hostile file can only hurt its own thread, which is
// terminated on timeout (a synchronous parser loop cannot be interrupted any other way), dies
// on its own when it outgrows its V8 heap, and is terminated by a watchdog when heap plus
// ArrayBuffer memory passes the limit — resourceLimits do not count ArrayBuffers, and a 300 KB
// PDF with a deflate-bomb content stream was measured pushing the process past 1 GB without it.

const WORKER_URL = new URL("./extract-worker.ts", import.meta.url);
const WATCHDOG_MS = 50;
let live = 0;
// A burst of uploads must not become a burst of 512 MB threads: extra documents wait their turn
// (their time limit starts when their thread does).
let maxThreads = Math.max(1, availableParallelism());
const waiting: (() => void)[] = [];

/** Extraction threads currently running (for tests and health checks). */
export function liveExtractionWorkers(): number {
  return live;
}

/** Caps how many extraction threads run at once in this process (default: the core count). */
export function configureExtractionThreads(options: { maxThreads: number }): void {
  if (!Number.isInteger(options.maxThreads) || options.maxThreads < 1) {
    throw new AppError("validation_failed", "maxThreads must be a positive integer");
  }
  maxThreads = options.maxThreads;
  while (waiting.length > 0 && running < maxThreads) {
    running++;
    waiting.shift()!();
  }
}

let running = 0;

async function acquire(): Promise<void> {
  if (running < maxThreads) {
    running++;
    return;
  }
  // The releasing call hands its slot over, so `running` already counts this one.
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  if (waiting.length > 0 && running <= maxThreads) waiting.shift()!();
  else running--;
}

export async function runExtractionWorker(input: WorkerInput): Promise<{ text: string; pageCount?: number }> {
  await acquire();
  try {
    return await runOnce(input);
  } finally {
    release();
  }
}

function runOnce(input: WorkerInput): Promise<{ text: string; pageCount?: number }> {
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
      // Parsers need no environment: a compromised one finds no secrets there.
      env: {},
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
      clearInterval(watchdog);
      // Resolve only once the thread is gone, so no work outlives the call.
      void worker.terminate();
    };
    const limitBytes = limits.workerMemoryMb * 1024 * 1024;
    let checking = false;
    const watchdog = setInterval(() => {
      if (checking || settled) return;
      checking = true;
      // Answered by the worker's isolate even while its JavaScript is busy (an interrupt).
      worker
        .getHeapStatistics()
        .then((h) => {
          if (h.used_heap_size + h.external_memory > limitBytes) {
            settle({ ok: false, error: tooComplex(kind, "memory", limits.workerMemoryMb) });
          }
        })
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    }, WATCHDOG_MS);
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
