import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import pino from "pino";
import { Redis } from "ioredis";
import { BullmqQueue } from "./bullmq-queue.ts";

const url = process.env.TEST_REDIS_URL;
const log = pino({ level: "silent" });
const prefixes: string[] = [];

function makeQueue(prefix = `enclave-test-${randomBytes(6).toString("hex")}`) {
  prefixes.push(prefix);
  return { queue: new BullmqQueue({ url: url!, log, concurrency: 2, prefix }), prefix };
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Redis is a production dependency, not an embedded one: these run when CI provides it.
describe.skipIf(!url)("BullMQ queue on Redis", () => {
  afterAll(async () => {
    const redis = new Redis(url!);
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  it("delivers the parsed payload and retries with backoff until success", async () => {
    const { queue } = makeQueue();
    const attempts: number[] = [];
    queue.process("system.echo", async (payload, job) => {
      expect(payload).toEqual({ message: "hi" });
      attempts.push(job.attempt);
      if (job.attempt < 3) throw new Error("transient");
    });
    await queue.start();
    await queue.enqueue("system.echo", { message: "hi" }, { attempts: 3, backoffMs: 20 });
    await until(async () => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await queue.failed()).toEqual([]);
    await queue.close();
  });

  it("refuses an invalid payload at enqueue", async () => {
    const { queue } = makeQueue();
    await expect(queue.enqueue("system.echo", { message: 1 } as never)).rejects.toThrow(/invalid payload/);
    await queue.close();
  });

  it("keeps a job that exhausted its attempts, also across a restart", async () => {
    const { queue, prefix } = makeQueue();
    queue.process("system.echo", async () => {
      throw new Error("always broken");
    });
    await queue.start();
    const id = await queue.enqueue("system.echo", { message: "doomed" }, { attempts: 2, backoffMs: 10 });
    await until(async () => (await queue.failed()).length === 1);
    await queue.close();
    const reopened = new BullmqQueue({ url: url!, log, concurrency: 1, prefix });
    expect(await reopened.failed()).toMatchObject([
      { id, name: "system.echo", attempts: 2, error: "always broken" },
    ]);
    await reopened.close();
  });

  it("fails (and keeps) a job whose stored payload was tampered with", async () => {
    const { queue, prefix } = makeQueue();
    let ran = false;
    queue.process("system.echo", async () => void (ran = true));
    const id = await queue.enqueue("system.echo", { message: "ok" }, { attempts: 1 });
    const redis = new Redis(url!);
    await redis.hset(`${prefix}:enclave:${id}`, "data", JSON.stringify({ message: { $gt: "" } }));
    await redis.quit();
    await queue.start();
    await until(async () => (await queue.failed()).length === 1);
    expect(ran).toBe(false);
    expect((await queue.failed())[0]!.error).toMatch(/invalid payload/);
    await queue.close();
  });

  it("deduplicates by job id", async () => {
    const { queue } = makeQueue();
    let runs = 0;
    queue.process("system.echo", async () => void runs++);
    await queue.enqueue("system.echo", { message: "a" }, { jobId: "dup-1" });
    await queue.enqueue("system.echo", { message: "b" }, { jobId: "dup-1" });
    await queue.start();
    await until(async () => runs >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(runs).toBe(1);
    await queue.close();
  });
});
