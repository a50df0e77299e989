import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import type { DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { testCtx } from "../../../test/ctx.ts";
import { withTransaction } from "../../context/transaction.ts";
import { emitAudit } from "../emit-audit.ts";
import { flushAuditInbox } from "../sequencer.ts";
import { createCheckpoint } from "../checkpoint.ts";
import { noteSignerFromSeed } from "../signed-note.ts";
import { shipBatch, startShipping, type AuditSink, type ShipItem } from "./shipper.ts";
import { toEcs } from "./ecs.ts";

const settings = {
  origin: "enclave.test/audit",
  signer: noteSignerFromSeed("enclave.test/audit", randomBytes(32)),
};

/** A sink that refuses while `down` is set and records everything it accepts. */
class MemorySink implements AuditSink {
  readonly id: string;
  received: ShipItem[] = [];
  down = false;
  calls = 0;
  constructor(id: string) {
    this.id = id;
  }
  async send(items: ShipItem[]): Promise<void> {
    this.calls++;
    if (this.down) throw new Error("connection refused");
    this.received.push(...items);
  }
  async close(): Promise<void> {}
  seqs(): number[] {
    return this.received
      .filter((i) => i.type === "event")
      .map((i) => (i as { row: { seq: number } }).row.seq);
  }
}

async function until(check: () => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(testDatabaseKinds())("audit shipping on %s", (kind) => {
  let database: DatabaseHandle;
  const emit = async (n: number) => {
    const ctx = testCtx(database);
    for (let i = 0; i < n; i++)
      await withTransaction(ctx, (tx, c) =>
        emitAudit(tx, c, { action: "auth.login.failure", outcome: "failure" }),
      );
    await flushAuditInbox(database.db); // shipping sends what is chained
  };
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(() => database.close());

  it("delivers every event in seq order, checkpoints after the events they cover", async () => {
    await emit(7);
    await createCheckpoint(database.db, settings);
    await emit(3);
    const sink = new MemorySink("mem-1");
    while ((await shipBatch(database.db, sink, 4)) > 0);
    expect(sink.seqs()).toEqual([...Array(10).keys()]);
    const cpIndex = sink.received.findIndex((i) => i.type === "checkpoint");
    // Batches of 4: the checkpoint over seq 0..6 rides with the batch that reaches seq 7.
    expect(cpIndex).toBe(8);
    expect(sink.received.slice(0, cpIndex).every((i) => i.type === "event")).toBe(true);
  });

  it("survives an outage and a restart with nothing lost and nothing re-sent", async () => {
    const sink = new MemorySink("mem-2");
    const log = pino({ level: "silent" });
    let stop = startShipping(database.db, [sink], log, { idleMs: 20, maxBackoffMs: 50 });
    await until(() => sink.seqs().length === 10);
    sink.down = true;
    await emit(20);
    await until(() => sink.calls > 3);
    expect(sink.seqs()).toHaveLength(10);
    sink.down = false;
    await until(() => sink.seqs().length === 30);
    await stop();
    // A restart resumes from the durable cursor.
    await emit(5);
    const again = new MemorySink("mem-2");
    stop = startShipping(database.db, [again], log, { idleMs: 20 });
    await until(() => again.seqs().length === 5);
    await stop();
    expect(again.seqs()).toEqual([30, 31, 32, 33, 34]);
    expect(sink.seqs()).toEqual([...Array(30).keys()]);
  });

  it("maps events to Elastic Common Schema fields", async () => {
    const sink = new MemorySink("mem-3");
    await shipBatch(database.db, sink, 1);
    const doc = toEcs((sink.received[0] as { row: Parameters<typeof toEcs>[0] }).row);
    expect(doc).toMatchObject({
      "@timestamp": expect.stringMatching(/Z$/),
      event: {
        action: "auth.login.failure",
        outcome: "failure",
        category: ["authentication", "session"],
        sequence: 0,
      },
      source: { ip: "192.0.2.1" },
      user_agent: { original: "vitest" },
    });
  });
});
