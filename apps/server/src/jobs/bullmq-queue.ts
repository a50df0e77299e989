import { Queue as BullQueue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { isJobName, type JobName, type JobPayload } from "@enclave/contracts";
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  parseJobPayload,
  type EnqueueOptions,
  type FailedJob,
  type JobHandler,
  type Log,
  type Queue,
} from "@enclave/core";

export interface BullmqQueueOptions {
  url: string;
  log: Log;
  concurrency: number;
  /** Redis key prefix; tests use a random one so runs never collide. */
  prefix?: string;
  queueName?: string;
}

const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 };
const FAILED_PAGE = 1000;

/**
 * Production queue: BullMQ on Redis, shared by every `serve` (producers) and `worker`
 * (consumers). Failed jobs stay in Redis's failed set for inspection and retry.
 */
export class BullmqQueue implements Queue {
  readonly kind = "bullmq" as const;
  private readonly connection: Redis;
  private readonly queue: BullQueue;
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly opts: BullmqQueueOptions;
  private worker: Worker | undefined;

  constructor(opts: BullmqQueueOptions) {
    this.opts = opts;
    // Workers block on Redis: BullMQ requires unlimited retries per request on their connection.
    this.connection = new Redis(opts.url, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on("error", (err: Error) =>
      opts.log.warn({ err: err.message }, "redis connection error"),
    );
    this.queue = new BullQueue(opts.queueName ?? "enclave", {
      connection: this.connection,
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    });
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    opts: EnqueueOptions = {},
  ): Promise<string> {
    const data = parseJobPayload(name, payload);
    const job = await this.queue.add(name, data, {
      attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
      backoff: { type: "exponential", delay: opts.backoffMs ?? DEFAULT_BACKOFF_MS },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: false,
      ...(opts.jobId ? { jobId: opts.jobId } : {}),
    });
    return String(job.id);
  }

  process<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  async start(): Promise<void> {
    if (this.worker) return;
    this.worker = new Worker(this.queue.name, (job: Job) => this.run(job), {
      connection: this.connection,
      concurrency: this.opts.concurrency,
      ...(this.opts.prefix ? { prefix: this.opts.prefix } : {}),
    });
    this.worker.on("failed", (job, err) => {
      this.opts.log.warn(
        { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, err: err.message },
        "job failed",
      );
    });
    this.worker.on("error", (err) => this.opts.log.error({ err: err.message }, "queue worker error"));
    await this.worker.waitUntilReady();
  }

  private async run(job: Job): Promise<void> {
    const name: unknown = job.name;
    if (!isJobName(name)) throw new Error(`unknown job ${String(name)}`);
    const handler = this.handlers.get(name);
    if (!handler) throw new Error(`no handler registered for ${name}`);
    // Validate again on the consumer side: Redis content is input like any other.
    const payload = parseJobPayload(name, job.data);
    await handler(payload, { id: String(job.id), name, attempt: job.attemptsMade + 1 });
  }

  async failed(): Promise<FailedJob[]> {
    const jobs = (await this.queue.getFailed(0, FAILED_PAGE - 1)) as Job[];
    return jobs
      .filter((j) => isJobName(j.name))
      .map((j) => ({
        id: String(j.id),
        name: j.name as JobName,
        payload: j.data as unknown,
        attempts: j.attemptsMade,
        error: j.failedReason ?? "unknown error",
        failedAt: new Date(j.finishedOn ?? j.timestamp),
      }));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
