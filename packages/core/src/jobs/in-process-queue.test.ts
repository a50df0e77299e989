import { describe, expect, it } from "vitest";
import pino from "pino";
import { InProcessQueue } from "./in-process-queue.ts";
import { AppError } from "../errors/app-error.ts";

const log = pino({ level: "silent" });

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

describe("in-process queue", () => {
  it("hands the handler the parsed payload", async () => {
    const q = new InProcessQueue(log);
    const seen: unknown[] = [];
    q.process("system.echo", async (payload, job) => void seen.push({ payload, job }));
    await q.start();
    const id = await q.enqueue("system.echo", { message: "hello" });
    await q.drain();
    expect(seen).toEqual([{ payload: { message: "hello" }, job: { id, name: "system.echo", attempt: 1 } }]);
    await q.close();
  });

  it("rejects an invalid payload at enqueue", async () => {
    const q = new InProcessQueue(log);
    let runs = 0;
    q.process("system.echo", async () => void runs++);
    await q.start();
    for (const bad of [{ message: 42 }, { message: "x", extra: 1 }, {}]) {
      const err = await q.enqueue("system.echo", bad as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("validation_failed");
    }
    await q.drain();
    expect(runs).toBe(0);
    await q.close();
  });

  it("retries with growing backoff, then succeeds", async () => {
    const { logger, lines } = captureLog();
    const q = new InProcessQueue(logger);
    const attempts: number[] = [];
    q.process("system.echo", async (_p, job) => {
      attempts.push(job.attempt);
      if (job.attempt < 3) throw new Error("transient");
    });
    await q.start();
    await q.enqueue("system.echo", { message: "retry" }, { attempts: 3, backoffMs: 10 });
    await q.drain();
    expect(attempts).toEqual([1, 2, 3]);
    expect(lines.map((l) => [l.msg, l.attempt, l.delay])).toEqual([
      ["job failed, will retry", 1, 10],
      ["job failed, will retry", 2, 20],
    ]);
    expect(await q.failed()).toEqual([]);
    await q.close();
  });

  it("keeps a job that exhausted its attempts, with its error", async () => {
    const q = new InProcessQueue(log);
    const attempts: number[] = [];
    q.process("system.echo", async (_p, job) => {
      attempts.push(job.attempt);
      throw new Error("always broken");
    });
    await q.start();
    const id = await q.enqueue("system.echo", { message: "doomed" }, { attempts: 2, backoffMs: 10 });
    await q.drain();
    expect(attempts).toEqual([1, 2]);
    const failed = await q.failed();
    expect(failed).toMatchObject([
      { id, name: "system.echo", payload: { message: "doomed" }, attempts: 2, error: "always broken" },
    ]);
    expect(failed[0]!.failedAt).toBeInstanceOf(Date);
    await q.close();
  });

  it("fails and keeps a job that has no handler", async () => {
    const q = new InProcessQueue(log);
    await q.start();
    const id = await q.enqueue("system.echo", { message: "orphan" }, { attempts: 1 });
    await q.drain();
    expect(await q.failed()).toMatchObject([{ id, attempts: 1, error: expect.stringMatching(/no handler/) }]);
    await q.close();
  });

  it("deduplicates by job id while the first is pending", async () => {
    const q = new InProcessQueue(log);
    const seen: string[] = [];
    q.process("system.echo", async (payload) => void seen.push(payload.message));
    expect(await q.enqueue("system.echo", { message: "a" }, { jobId: "same" })).toBe("same");
    expect(await q.enqueue("system.echo", { message: "b" }, { jobId: "same" })).toBe("same");
    await q.start();
    await q.drain();
    expect(seen).toEqual(["a"]);
    await q.close();
  });

  it("close() waits for the running job to finish", async () => {
    const q = new InProcessQueue(log);
    const started = deferred();
    const release = deferred();
    let finished = false;
    q.process("system.echo", async () => {
      started.resolve();
      await release.promise;
      finished = true;
    });
    await q.start();
    await q.enqueue("system.echo", { message: "slow" });
    await started.promise;
    setTimeout(release.resolve, 20);
    // What `finished` was at the moment close() resolved, not after.
    expect(await q.close().then(() => finished)).toBe(true);
    await expect(q.enqueue("system.echo", { message: "late" })).rejects.toThrow(/closed/);
  });
});
