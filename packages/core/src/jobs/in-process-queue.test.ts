import { describe, expect, it } from "vitest";
import pino from "pino";
import { InProcessQueue } from "./in-process-queue.ts";
import { AppError } from "../errors/app-error.ts";

const log = pino({ level: "silent" });

describe("in-process queue", () => {
  it("hands the handler the parsed payload", async () => {
    const q = new InProcessQueue(log);
    const seen: unknown[] = [];
    q.process("system.echo", async (payload, job) => void seen.push({ payload, attempt: job.attempt }));
    await q.start();
    await q.enqueue("system.echo", { message: "hello" });
    await q.drain();
    expect(seen).toEqual([{ payload: { message: "hello" }, attempt: 1 }]);
    await q.close();
  });

  it("rejects an invalid payload at enqueue", async () => {
    const q = new InProcessQueue(log);
    const err = await q.enqueue("system.echo", { message: 42 } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("validation_failed");
    await expect(q.enqueue("system.echo", { message: "x", extra: 1 } as never)).rejects.toThrow(
      /invalid payload/,
    );
    await q.close();
  });

  it("retries with growing backoff, then succeeds", async () => {
    const q = new InProcessQueue(log);
    const attempts: { attempt: number; at: number }[] = [];
    q.process("system.echo", async (_p, job) => {
      attempts.push({ attempt: job.attempt, at: Date.now() });
      if (job.attempt < 3) throw new Error("transient");
    });
    await q.start();
    await q.enqueue("system.echo", { message: "retry" }, { attempts: 3, backoffMs: 20 });
    await q.drain();
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const gap1 = attempts[1]!.at - attempts[0]!.at;
    const gap2 = attempts[2]!.at - attempts[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(18);
    expect(gap2).toBeGreaterThanOrEqual(38);
    expect(await q.failed()).toEqual([]);
    await q.close();
  });

  it("keeps a job that exhausted its attempts, with its error", async () => {
    const q = new InProcessQueue(log);
    q.process("system.echo", async () => {
      throw new Error("always broken");
    });
    await q.start();
    const id = await q.enqueue("system.echo", { message: "doomed" }, { attempts: 2, backoffMs: 5 });
    await q.drain();
    expect(await q.failed()).toMatchObject([
      { id, name: "system.echo", payload: { message: "doomed" }, attempts: 2, error: "always broken" },
    ]);
    await q.close();
  });

  it("deduplicates by job id while the first is pending", async () => {
    const q = new InProcessQueue(log);
    let runs = 0;
    q.process("system.echo", async () => void runs++);
    expect(await q.enqueue("system.echo", { message: "a" }, { jobId: "same" })).toBe("same");
    expect(await q.enqueue("system.echo", { message: "b" }, { jobId: "same" })).toBe("same");
    await q.start();
    await q.drain();
    expect(runs).toBe(1);
    await q.close();
  });

  it("close() waits for the running job to finish", async () => {
    const q = new InProcessQueue(log);
    let finished = false;
    q.process("system.echo", async () => {
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    await q.start();
    await q.enqueue("system.echo", { message: "slow" });
    await new Promise((r) => setTimeout(r, 10));
    await q.close();
    expect(finished).toBe(true);
    await expect(q.enqueue("system.echo", { message: "late" })).rejects.toThrow(/closed/);
  });
});
