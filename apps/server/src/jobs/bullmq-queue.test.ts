import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import { Redis } from "ioredis";
import { AppError, type Log } from "@enclave/core";
import { BullmqQueue } from "./bullmq-queue.ts";

const url = process.env.TEST_REDIS_URL;
const silent = pino({ level: "silent" });

/** A real pino logger whose lines land in an array, to read what the queue decided. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Redis is a production dependency, not an embedded one: these run when CI provides it.
describe.skipIf(!url)("BullMQ queue on Redis", () => {
  const opened: BullmqQueue[] = [];
  const prefixes: string[] = [];

  function open(opts: { prefix?: string; log?: Log; concurrency?: number } = {}) {
    const prefix = opts.prefix ?? `enclave-test-${randomBytes(6).toString("hex")}`;
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    const queue = new BullmqQueue({
      url: url!,
      log: opts.log ?? silent,
      concurrency: opts.concurrency ?? 2,
      prefix,
    });
    opened.push(queue);
    return { queue, prefix };
  }

  async function withRedis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(url!);
    try {
      return await fn(redis);
    } finally {
      await redis.quit();
    }
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close()));
    await withRedis(async (redis) => {
      for (const prefix of prefixes.splice(0)) {
        for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
          if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
        }
      }
    });
  });

  it("hands the handler the parsed payload", async () => {
    const { queue } = open();
    const seen: unknown[] = [];
    queue.process("system.echo", async (payload, job) => void seen.push({ payload, job }));
    await queue.start();
    const id = await queue.enqueue("system.echo", { message: "hello" });
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ payload: { message: "hello" }, job: { id, name: "system.echo", attempt: 1 } }]);
  });

  it("rejects an invalid payload at enqueue", async () => {
    const { queue, prefix } = open();
    for (const bad of [{ message: 42 }, { message: "x", extra: 1 }]) {
      const err = await queue.enqueue("system.echo", bad as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("validation_failed");
    }
    expect(await withRedis((r) => r.llen(`${prefix}:enclave:wait`))).toBe(0);
  });

  it("retries with growing backoff, then succeeds", async () => {
    const { logger, lines } = captureLog();
    const { queue } = open({ log: logger });
    const attempts: number[] = [];
    queue.process("system.echo", async (_p, job) => {
      attempts.push(job.attempt);
      if (job.attempt < 3) throw new Error("transient");
    });
    await queue.start();
    await queue.enqueue("system.echo", { message: "retry" }, { attempts: 3, backoffMs: 10 });
    await until(() => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
    expect(lines.map((l) => [l.msg, l.attempt, l.delay])).toEqual([
      ["job failed, will retry", 1, 10],
      ["job failed, will retry", 2, 20],
    ]);
    expect(await queue.failed()).toEqual([]);
  });

  it("keeps a job that exhausted its attempts, with its error", async () => {
    const { queue } = open();
    const attempts: number[] = [];
    queue.process("system.echo", async (_p, job) => {
      attempts.push(job.attempt);
      throw new Error("always broken");
    });
    await queue.start();
    const id = await queue.enqueue("system.echo", { message: "doomed" }, { attempts: 2, backoffMs: 10 });
    await until(async () => (await queue.failed()).length === 1);
    expect(attempts).toEqual([1, 2]);
    const failed = await queue.failed();
    expect(failed).toMatchObject([
      { id, name: "system.echo", payload: { message: "doomed" }, attempts: 2, error: "always broken" },
    ]);
    expect(failed[0]!.failedAt).toBeInstanceOf(Date);
  });

  it("keeps a failed job in Redis across closing and reopening the queue", async () => {
    const first = open();
    first.queue.process("system.echo", async () => {
      throw new Error("always broken");
    });
    await first.queue.start();
    const id = await first.queue.enqueue("system.echo", { message: "doomed" }, { attempts: 1 });
    await until(async () => (await first.queue.failed()).length === 1);
    await first.queue.close();

    const { queue: reopened } = open({ prefix: first.prefix });
    expect(await reopened.failed()).toMatchObject([
      { id, name: "system.echo", payload: { message: "doomed" }, attempts: 1, error: "always broken" },
    ]);
  });

  it("fails and keeps a job that has no handler, without crashing the worker", async () => {
    const { queue } = open();
    await queue.start();
    const id = await queue.enqueue("system.echo", { message: "orphan" }, { attempts: 2, backoffMs: 10 });
    await until(async () => (await queue.failed()).length === 1);
    expect(await queue.failed()).toMatchObject([
      { id, attempts: 2, error: expect.stringMatching(/no handler/) },
    ]);
    // The worker is still alive and takes the next job once a handler exists.
    let ran = false;
    queue.process("system.echo", async () => void (ran = true));
    await queue.enqueue("system.echo", { message: "next" });
    await until(() => ran);
  });

  it("fails a job whose stored payload was tampered with at once, without running the handler", async () => {
    const { queue, prefix } = open();
    let ran = false;
    queue.process("system.echo", async () => void (ran = true));
    const id = await queue.enqueue("system.echo", { message: "ok" }, { attempts: 3, backoffMs: 10 });
    await withRedis((r) =>
      r.hset(`${prefix}:enclave:${id}`, "data", JSON.stringify({ message: { $gt: "" } })),
    );
    await queue.start();
    await until(async () => (await queue.failed()).length === 1);
    expect(ran).toBe(false);
    // A payload that does not parse will not parse on a retry either: one attempt, not three.
    expect(await queue.failed()).toMatchObject([
      { id, attempts: 1, error: expect.stringMatching(/invalid payload/) },
    ]);
  });

  it("deduplicates by job id", async () => {
    const { queue } = open();
    const seen: string[] = [];
    queue.process("system.echo", async (payload) => void seen.push(payload.message));
    expect(await queue.enqueue("system.echo", { message: "a" }, { jobId: "dup-1" })).toBe("dup-1");
    expect(await queue.enqueue("system.echo", { message: "b" }, { jobId: "dup-1" })).toBe("dup-1");
    await queue.start();
    await until(() => seen.length >= 1);
    await queue.close(); // waits for anything still running, so a second run would show
    expect(seen).toEqual(["a"]);
  });

  it("close() waits for the running job and records its completion", async () => {
    const { queue, prefix } = open();
    const started = deferred();
    const release = deferred();
    let finished = false;
    queue.process("system.echo", async () => {
      started.resolve();
      await release.promise;
      finished = true;
    });
    await queue.start();
    const id = await queue.enqueue("system.echo", { message: "slow" });
    await started.promise;
    setTimeout(release.resolve, 50);
    // What `finished` was at the moment close() resolved, not after.
    expect(await queue.close().then(() => finished)).toBe(true);
    expect(await withRedis((r) => r.zscore(`${prefix}:enclave:completed`, id))).not.toBeNull();
    await expect(queue.enqueue("system.echo", { message: "late" })).rejects.toThrow(/closed/);
  });
});
