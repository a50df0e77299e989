import { describe, expect, it } from "vitest";
import { isAppError } from "../errors/app-error.ts";
import { RedisLimits } from "./redis-limits.ts";

// A Redis that is down: every command fails the way ioredis reports a refused connection.
const down = {
  evalsha: () => Promise.reject(new Error("connect ECONNREFUSED 10.1.2.3:6379")),
  eval: () => Promise.reject(new Error("connect ECONNREFUSED 10.1.2.3:6379")),
};

describe("RedisLimits with the store down", () => {
  it("refuses with a retryable 503 not_ready that does not name the store's address", async () => {
    const limits = new RedisLimits(down as never);
    for (const attempt of [
      () => limits.checkRequest("k1", { rpm: 10, rph: null }),
      () => limits.acquireGeneration("a1", 2),
      () => limits.countAuthFailure("ip:1.2.3.4"),
    ]) {
      const err = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isAppError(err) && err.code).toBe("not_ready");
      expect(isAppError(err) && err.status).toBe(503);
      expect(String((err as Error).message)).not.toContain("10.1.2.3");
    }
  });

  it("still falls back from EVALSHA to EVAL on NOSCRIPT", async () => {
    const calls: string[] = [];
    const fresh = {
      evalsha: () => {
        calls.push("evalsha");
        return Promise.reject(new Error("NOSCRIPT No matching script"));
      },
      eval: () => {
        calls.push("eval");
        return Promise.resolve([1, 0, 0]);
      },
    };
    const decision = await new RedisLimits(fresh as never).checkRequest("k2", { rpm: 5, rph: null });
    expect(decision.allowed).toBe(true);
    expect(calls).toEqual(["evalsha", "eval"]);
  });
});
