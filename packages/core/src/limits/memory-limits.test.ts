import { describe, expect, it } from "vitest";
import { isAppError } from "../errors/app-error.ts";
import { MemoryLimits } from "./memory-limits.ts";
import { retryAfterOf } from "./limits.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("MemoryLimits", () => {
  it("refuses the request after rpm within a minute, then lets it through once the window ends", async () => {
    const c = clock();
    const limits = new MemoryLimits({ defaultRpm: 3, defaultRph: 0 }, c.now);
    for (let i = 0; i < 3; i++)
      expect((await limits.checkRequest("k1", { rpm: null, rph: null })).allowed).toBe(true);
    c.advance(20_000);
    const refused = await limits.checkRequest("k1", { rpm: null, rph: null });
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 40, limit: "rpm" });
    // Another key has its own budget.
    expect((await limits.checkRequest("k2", { rpm: null, rph: null })).allowed).toBe(true);
    c.advance(40_000);
    expect((await limits.checkRequest("k1", { rpm: null, rph: null })).allowed).toBe(true);
  });

  it("applies the hour limit and the app's own limits over the defaults; 0 is unlimited", async () => {
    const c = clock();
    const limits = new MemoryLimits({ defaultRpm: 0, defaultRph: 0 }, c.now);
    for (let i = 0; i < 1000; i++) await limits.checkRequest("free", { rpm: null, rph: null });
    expect((await limits.checkRequest("free", { rpm: null, rph: null })).allowed).toBe(true);

    const policy = { rpm: 100, rph: 2 };
    expect((await limits.checkRequest("k", policy)).allowed).toBe(true);
    c.advance(61_000);
    expect((await limits.checkRequest("k", policy)).allowed).toBe(true);
    const refused = await limits.checkRequest("k", policy);
    expect(refused.limit).toBe("rph");
    expect(refused.retryAfterSeconds).toBe(3600 - 61);
  });

  it("does not count refused requests", async () => {
    const c = clock();
    const limits = new MemoryLimits({ defaultRpm: 1, defaultRph: 2 }, c.now);
    expect((await limits.checkRequest("k", { rpm: null, rph: null })).allowed).toBe(true);
    for (let i = 0; i < 5; i++)
      expect((await limits.checkRequest("k", { rpm: null, rph: null })).allowed).toBe(false);
    c.advance(60_000);
    // The refusals above did not use up the hour: one more fits.
    expect((await limits.checkRequest("k", { rpm: null, rph: null })).allowed).toBe(true);
  });

  it("hands out at most max generation slots per app and takes each back once", async () => {
    const limits = new MemoryLimits({ maxConcurrentPerApp: 2 });
    const a = await limits.acquireGeneration("app", null);
    const b = await limits.acquireGeneration("app", null);
    const err = await limits.acquireGeneration("app", null).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe("rate_limited");
    expect(retryAfterOf(err)).toBe(1);
    await limits.acquireGeneration("other-app", null).then((r) => r());
    await a();
    await a(); // a second release must not free b's slot
    const c = await limits.acquireGeneration("app", null);
    await expect(limits.acquireGeneration("app", null)).rejects.toThrow(/at once/);
    await b();
    await c();
    const wide = await limits.acquireGeneration("app", 5);
    expect(wide).toBeTypeOf("function");
  });

  it("counts auth failures in fixed windows", async () => {
    const c = clock();
    const limits = new MemoryLimits({ authFailureWindowSeconds: 60 }, c.now);
    expect(await limits.countAuthFailure("ip:1.2.3.4")).toBe(1);
    expect(await limits.countAuthFailure("ip:1.2.3.4")).toBe(2);
    expect(await limits.countAuthFailure("ip:5.6.7.8")).toBe(1);
    c.advance(60_000);
    expect(await limits.countAuthFailure("ip:1.2.3.4")).toBe(1);
  });
});
