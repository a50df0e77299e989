// Test-only: a Ctx over a test database, for verb tests.
import pino from "pino";
import type { DatabaseHandle } from "@enclave/db";
import type { Actor, Ctx } from "../src/context/ctx.ts";

export function testCtx(database: DatabaseHandle, overrides: Partial<Ctx> & { actor?: Actor } = {}): Ctx {
  return {
    db: database.db,
    workspace: null,
    actor: { type: "system", name: "test" },
    requestId: "req-test",
    log: pino({ level: "silent" }),
    ip: "192.0.2.1",
    userAgent: "vitest",
    services: {},
    ...overrides,
  };
}
