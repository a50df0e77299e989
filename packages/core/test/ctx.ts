// Test-only: a Ctx over a test database, and the audit events it recorded, for verb tests.
import pino from "pino";
import { asc, type SQL } from "drizzle-orm";
import { auditEvents, type Database, type DatabaseHandle } from "@enclave/db";
import { flushAuditInbox } from "../src/audit/sequencer.ts";
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

/**
 * The audit events matching `where`, in seq order, read after a flush: a transaction returns
 * before its events are chained into audit_events.
 */
export async function auditRows(db: Database, where?: SQL) {
  await flushAuditInbox(db);
  return db.select().from(auditEvents).where(where).orderBy(asc(auditEvents.seq));
}
