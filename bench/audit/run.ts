// Benchmark: audit appends/s under concurrent writers on real PostgreSQL, and verification speed.
// Usage: npm run bench:audit  (BENCH_DATABASE_URL defaults to the local test server; BENCH_RUNS
// repeats the whole thing on fresh databases, since a shared machine makes single runs noisy)
import { writeFile } from "node:fs/promises";
import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { cpus, loadavg } from "node:os";
import pg from "pg";
import pino from "pino";
import { migrateDatabase, openPostgres, type Transaction } from "@enclave/db";
import {
  auditSettingsFromSecret,
  createCheckpoint,
  emitAudit,
  flushAuditInbox,
  recordAudit,
  systemCtx,
  verifyAuditLog,
  withTransaction,
} from "@enclave/core";
import { backendCpu, backendCpuSince } from "../pg-cpu.ts";

const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const writers = Number(process.env.BENCH_WRITERS ?? 16);
const appendSeconds = Number(process.env.BENCH_APPEND_SECONDS ?? 10);
const verifyEvents = Number(process.env.BENCH_VERIFY_EVENTS ?? 200_000);
const runs = Number(process.env.BENCH_RUNS ?? 1);

async function admin(sqlText: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(sqlText);
  await c.end();
}

/** Measures `fn`: wall seconds, and CPU µs per event in this process and in the backends. */
async function measured(pool: pg.Pool, events: () => number, fn: () => Promise<void>) {
  const pg0 = await backendCpu(pool);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = await backendCpu(pool);
  const pgSeconds = backendCpuSince(pg0, pg1);
  const n = events();
  return {
    perSecond: Math.round(n / seconds),
    nodeCpuUsPerEvent: Math.round(((cpu.user + cpu.system) / n) * 10) / 10,
    postgresCpuUsPerEvent: Math.round(((pgSeconds * 1e6) / n) * 10) / 10,
  };
}

interface RunResult {
  standaloneAppendsPerSecond: number;
  standaloneCpuUsPerEvent: { node: number; postgres: number };
  appendsPerSecond: number;
  appendCpuUsPerEvent: { node: number; postgres: number };
  unauditedTransactionsPerSecond: number;
  unauditedCpuUsPerTransaction: { node: number; postgres: number };
  verifyPerSecond: number;
  verifyCpuUsPerEvent: { node: number; postgres: number };
  checkpointMs: number;
  loadAverageBefore: number;
}

async function once(): Promise<RunResult> {
  const loadAverageBefore = Math.round(loadavg()[0]! * 10) / 10;
  const name = `enclave_bench_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openPostgres({ url: url.toString(), poolMax: writers + 2 });
  try {
    await migrateDatabase(handle);
    const ctx = systemCtx({ db: handle.db, log: pino({ level: "silent" }), services: {} }, "bench", "bench");
    const details = {
      app: "0190a000-0000-7000-8000-000000000001",
      role: "editor",
      note: "数据主权 / 会話ログ",
    };

    // 1. Appends, two ways; both count chained events. (a) standalone events — permission
    // denials, key failure bursts, secret-store alerts: recordAudit waits for the sequencer run
    // that chains the event, and concurrent callers share it; (b) events of a business
    // transaction: the writer's own BEGIN / row INSERT / inbox INSERT / COMMIT, which returns
    // without waiting for the chain, so the phase ends when the last event is chained.
    let appended = 0;
    const appendPhase = (write: () => Promise<void>) => {
      appended = 0;
      const deadline = Date.now() + appendSeconds * 1000;
      return measured(
        handle.pool,
        () => appended,
        async () => {
          await Promise.all(
            Array.from({ length: writers }, async () => {
              while (Date.now() < deadline) {
                await write();
                appended++;
              }
            }),
          );
          await flushAuditInbox(handle.db);
        },
      );
    };
    const standalone = await appendPhase(() =>
      recordAudit(ctx, { action: "bench.standalone", outcome: "denied", details }),
    );
    let total = appended;
    // The business transactions of (b) insert one row of their own; (c) runs them without the
    // audit event, for what the same writers manage when nothing is audited.
    await handle.pool.query("create table bench_business (id uuid primary key, note text not null)");
    const business = async (tx: Transaction) => {
      await tx.execute(sql`insert into bench_business (id, note) values (${randomUUID()}, 'bench')`);
    };
    const append = await appendPhase(() =>
      withTransaction(ctx, async (tx, c) => {
        await business(tx);
        await emitAudit(tx, c, { action: "bench.append", details });
      }),
    );
    total += appended;
    const { rows: chained } = await handle.pool.query<{ n: number }>(
      "select count(*)::int as n from audit_events where action = 'bench.append'",
    );
    if (chained[0]!.n !== appended) throw new Error(`${appended} events emitted, ${chained[0]!.n} chained`);
    const unaudited = await appendPhase(() => withTransaction(ctx, (tx) => business(tx)));

    // 2. Fill up to verifyEvents quickly (batched transactions), sign a checkpoint, then verify.
    while (total < verifyEvents) {
      const n = Math.min(500, verifyEvents - total);
      await withTransaction(ctx, async (tx, c) => {
        for (let i = 0; i < n; i++) await emitAudit(tx, c, { action: "bench.fill", details });
      });
      total += n;
    }
    const settings = auditSettingsFromSecret(randomBytes(32).toString("hex"), "bench.enclave/audit");
    const tc = performance.now();
    await createCheckpoint(handle.db, settings);
    const checkpointMs = performance.now() - tc;
    const verify = async () => {
      let events = 0;
      const m = await measured(
        handle.pool,
        () => events,
        async () => {
          const report = await verifyAuditLog(handle.db, {
            publicKey: settings.signer.publicKey,
            keyName: settings.signer.name,
          });
          if (!report.ok) throw new Error(`verification failed: ${JSON.stringify(report.problems[0])}`);
          events = report.events;
        },
      );
      return {
        perSecond: m.perSecond,
        cpu: { node: m.nodeCpuUsPerEvent, postgres: m.postgresCpuUsPerEvent },
      };
    };
    const verified = await verify();
    return {
      standaloneAppendsPerSecond: standalone.perSecond,
      standaloneCpuUsPerEvent: {
        node: standalone.nodeCpuUsPerEvent,
        postgres: standalone.postgresCpuUsPerEvent,
      },
      appendsPerSecond: append.perSecond,
      appendCpuUsPerEvent: { node: append.nodeCpuUsPerEvent, postgres: append.postgresCpuUsPerEvent },
      unauditedTransactionsPerSecond: unaudited.perSecond,
      unauditedCpuUsPerTransaction: {
        node: unaudited.nodeCpuUsPerEvent,
        postgres: unaudited.postgresCpuUsPerEvent,
      },
      verifyPerSecond: verified.perSecond,
      verifyCpuUsPerEvent: verified.cpu,
      checkpointMs: Math.round(checkpointMs),
      loadAverageBefore,
    };
  } finally {
    await handle.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const results: RunResult[] = [];
for (let i = 0; i < runs; i++) results.push(await once());
const spread = (pick: (r: RunResult) => number) => {
  const v = results.map(pick).sort((a, b) => a - b);
  return { min: v[0]!, median: v[Math.floor(v.length / 2)]!, max: v[v.length - 1]! };
};
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
  database: "PostgreSQL (local, same machine)",
  writers,
  appendSeconds,
  verifyEvents,
  runs: results,
  standaloneAppendsPerSecond: spread((r) => r.standaloneAppendsPerSecond),
  appendsPerSecond: spread((r) => r.appendsPerSecond),
  unauditedTransactionsPerSecond: spread((r) => r.unauditedTransactionsPerSecond),
  verifyEventsPerSecond: spread((r) => r.verifyPerSecond),
  checkpointMsFor: { events: verifyEvents, ...spread((r) => r.checkpointMs) },
  targets: { standaloneAppendsPerSecond: 5000, appendsPerSecond: 5000, verifyEventsPerSecond: 200_000 },
};
await writeFile(new URL("../results/audit.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
