import { Queue as BullQueue, UnrecoverableError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { isJobName, type JobName, type JobPayload } from "@enclave/contracts";
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  isAppError,
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

type AnyJob = Job<unknown, void, string>;

const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 };
const FAILED_PAGE = 1000;

/**
 * Production queue: BullMQ on Redis, shared by every `serve` (producers) and `worker`
 * (consumers). Failed jobs stay in Redis's failed set for inspection and retry.
 */
export class BullmqQueue implements Queue {
  readonly kind = "bullmq" as const;
  private readonly opts: BullmqQueueOptions;
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly producer: Redis;
  private readonly queue: BullQueue<unknown, void, string>;
  private consumer: Redis | undefined;
  private worker: Worker<unknown, void, string> | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: BullmqQueueOptions) {
    this.opts = opts;
    // Enqueueing runs inside requests: once connected, an outage fails `add` at once instead of
    // hanging the request. (Before the first connect, BullMQ still waits for Redis.)
    this.producer = this.connect("producer", { enableOfflineQueue: false });
    this.queue = new BullQueue(opts.queueName ?? "enclave", {
      connection: this.producer,
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    });
    this.queue.on("error", (err) => opts.log.error({ err: err.message }, "job queue error"));
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    opts: EnqueueOptions = {},
  ): Promise<string> {
    if (this.closing) throw new Error("queue is closed");
    const data = parseJobPayload(name, payload);
    // BullMQ ignores an add whose jobId already exists (in any state) and returns that job.
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
    if (this.closing) throw new Error("queue is closed");
    // Workers must never drop a command on a reconnect: BullMQ requires unlimited retries here.
    this.consumer = this.connect("consumer", { maxRetriesPerRequest: null });
    this.worker = new Worker(this.queue.name, (job: AnyJob) => this.run(job), {
      connection: this.consumer,
      concurrency: this.opts.concurrency,
      ...(this.opts.prefix ? { prefix: this.opts.prefix } : {}),
    });
    this.worker.on("failed", (job, err) => this.logFailure(job, err));
    this.worker.on("error", (err) => this.opts.log.error({ err: err.message }, "job worker error"));
    await this.worker.waitUntilReady();
  }

  async failed(): Promise<FailedJob[]> {
    const jobs: AnyJob[] = await this.queue.getFailed(0, FAILED_PAGE - 1);
    return jobs.flatMap((j) =>
      isJobName(j.name)
        ? [
            {
              id: String(j.id),
              name: j.name,
              payload: j.data,
              attempts: j.attemptsMade,
              error: j.failedReason ?? "unknown error",
              failedAt: new Date(j.finishedOn ?? j.timestamp),
            },
          ]
        : [],
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Worker first: it waits for running jobs, which still need the queue's connection.
    await this.worker?.close();
    await this.queue.close();
    // BullMQ leaves connections it was handed open; it closes only its own duplicates.
    for (const redis of [this.consumer, this.producer]) {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    }
  }

  private async run(job: AnyJob): Promise<void> {
    const name = job.name;
    // Redis content is input like any other: an unknown name or a payload that does not parse
    // will not get better on a retry, so the job fails at once and stays in the failed set.
    if (!isJobName(name)) throw new UnrecoverableError(`unknown job ${name}`);
    const handler = this.handlers.get(name);
    if (!handler) throw new Error(`no handler registered for ${name}`);
    let payload: JobPayload<typeof name>;
    try {
      payload = parseJobPayload(name, job.data);
    } catch (err) {
      throw isAppError(err) ? new UnrecoverableError(err.message) : err;
    }
    await handler(payload, { id: String(job.id), name, attempt: job.attemptsMade + 1 });
  }

  private logFailure(job: AnyJob | undefined, err: Error): void {
    const fields = { jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, err: err.message };
    // BullMQ sets finishedOn only when the job moved to the failed set, not when it is retried.
    if (job && job.finishedOn === undefined) {
      this.opts.log.warn({ ...fields, delay: job.delay }, "job failed, will retry");
    } else {
      this.opts.log.error(fields, "job failed");
    }
  }

  private connect(
    role: string,
    options: { enableOfflineQueue?: boolean; maxRetriesPerRequest?: null },
  ): Redis {
    const redis = new Redis(this.opts.url, options);
    redis.on("error", (err: Error) =>
      this.opts.log.warn({ role, err: err.message }, "redis connection error"),
    );
    return redis;
  }
}
