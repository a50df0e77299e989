import { randomUUID } from "node:crypto";
import type { JobName, JobPayload } from "@enclave/contracts";
import type { Log } from "../context/ctx.ts";
import {
  backoffDelay,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  parseJobPayload,
  type EnqueueOptions,
  type FailedJob,
  type JobHandler,
  type Queue,
} from "./queue.ts";

interface PendingJob {
  id: string;
  name: JobName;
  payload: unknown;
  attempt: number;
  attempts: number;
  backoffMs: number;
}

const MAX_KEPT_FAILED = 1000;

/**
 * Embedded-mode queue: jobs run in this process, one at a time per `concurrency` slot. Jobs do
 * not survive a restart (work that must be resumable keeps its own state in the database).
 */
export class InProcessQueue implements Queue {
  readonly kind = "in-process" as const;
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly ready: PendingJob[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly known = new Set<string>();
  private readonly failedJobs: FailedJob[] = [];
  private running = 0;
  private started = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  private readonly log: Log;
  private readonly concurrency: number;

  constructor(log: Log, concurrency = 2) {
    this.log = log;
    this.concurrency = concurrency;
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    opts: EnqueueOptions = {},
  ): Promise<string> {
    if (this.closed) throw new Error("queue is closed");
    const data = parseJobPayload(name, payload);
    const id = opts.jobId ?? randomUUID();
    if (this.known.has(id)) return id;
    this.known.add(id);
    this.ready.push({
      id,
      name,
      payload: data,
      attempt: 1,
      attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
      backoffMs: opts.backoffMs ?? DEFAULT_BACKOFF_MS,
    });
    this.pump();
    return id;
  }

  process<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  async start(): Promise<void> {
    this.started = true;
    this.pump();
  }

  async failed(): Promise<FailedJob[]> {
    return [...this.failedJobs];
  }

  /** Resolves when nothing is running, ready or waiting for a retry. */
  async drain(): Promise<void> {
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.running === 0 && this.ready.length === 0 && this.timers.size === 0;
  }

  private pump(): void {
    while (this.started && !this.closed && this.running < this.concurrency && this.ready.length > 0) {
      const job = this.ready.shift()!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
        if (this.isIdle() || (this.closed && this.running === 0)) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
    }
  }

  private async run(job: PendingJob): Promise<void> {
    try {
      const handler = this.handlers.get(job.name);
      if (!handler) throw new Error(`no handler registered for ${job.name}`);
      await handler(parseJobPayload(job.name, job.payload), {
        id: job.id,
        name: job.name,
        attempt: job.attempt,
      });
      this.known.delete(job.id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (job.attempt < job.attempts && !this.closed) {
        const delay = backoffDelay(job.backoffMs, job.attempt);
        this.log.warn(
          { jobId: job.id, job: job.name, attempt: job.attempt, delay },
          "job failed, will retry",
        );
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.ready.push({ ...job, attempt: job.attempt + 1 });
          this.pump();
        }, delay);
        this.timers.add(timer);
        return;
      }
      this.log.error({ jobId: job.id, job: job.name, attempts: job.attempt, err: message }, "job failed");
      this.known.delete(job.id);
      this.failedJobs.push({
        id: job.id,
        name: job.name,
        payload: job.payload,
        attempts: job.attempt,
        error: message,
        failedAt: new Date(),
      });
      if (this.failedJobs.length > MAX_KEPT_FAILED) this.failedJobs.shift();
    }
  }
}
