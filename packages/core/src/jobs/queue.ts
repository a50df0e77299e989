import { JobPayloads, type JobName, type JobPayload } from "@enclave/contracts";
import { AppError } from "../errors/app-error.ts";

export interface EnqueueOptions {
  /** Attempts in total, including the first. */
  attempts?: number;
  /** Base delay for exponential backoff between attempts. */
  backoffMs?: number;
  /** Deduplicates: a second enqueue with the same id while the first is known is ignored. */
  jobId?: string;
}

export interface JobContext {
  id: string;
  name: JobName;
  attempt: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: JobContext) => Promise<void>;

export interface FailedJob {
  id: string;
  name: JobName;
  payload: unknown;
  attempts: number;
  error: string;
  failedAt: Date;
}

/**
 * The queue port. Implementations: in-process (embedded mode) and BullMQ on Redis. Both
 * validate payloads against `contracts` on enqueue and again before processing, retry with
 * exponential backoff, and keep jobs that exhausted their attempts.
 */
export interface Queue {
  readonly kind: "in-process" | "bullmq";
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts?: EnqueueOptions): Promise<string>;
  /** Registers the handler for a job name; processing starts once `start()` is called. */
  process<N extends JobName>(name: N, handler: JobHandler<N>): void;
  start(): Promise<void>;
  failed(): Promise<FailedJob[]>;
  /** Stops taking new jobs, waits for running ones, releases connections. */
  close(): Promise<void>;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;

export function parseJobPayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  const schema = JobPayloads[name];
  if (!schema) throw new AppError("bad_request", `unknown job ${String(name)}`);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new AppError("validation_failed", `invalid payload for job ${name}`, parsed.error.issues);
  }
  return parsed.data as JobPayload<N>;
}

export function backoffDelay(baseMs: number, attempt: number): number {
  return baseMs * 2 ** Math.max(0, attempt - 1);
}
