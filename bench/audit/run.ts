// Benchmark: audit appends/s under concurrent writers on real PostgreSQL, and verification speed.
// Usage: npm run bench:audit  (BENCH_DATABASE_URL defaults to the local test server)
import { writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import pg from "pg";
import pino from "pino";
import { migrateDatabase, openPostgres } from "@enclave/db";
import {
  auditSettingsFromSecret,
  createCheckpoint,
  emitAudit,
  systemCtx,
  verifyAuditLog,
  withTransaction,
} from "@enclave/core";

const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const writers = Number(process.env.BENCH_WRITERS ?? 16);
const appendSeconds = Number(process.env.BENCH_APPEND_SECONDS ?? 10);
const verifyEvents = Number(process.env.BENCH_VERIFY_EVENTS ?? 200_000);

async function admin(sqlText: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(sqlText);
  await c.end();
}

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

  // 1. Appends: each writer commits one audited transaction after another.
  let appended = 0;
  const deadline = Date.now() + appendSeconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < deadline) {
        await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "bench.append", details }));
        appended++;
      }
    }),
  );
  const appendRate = appended / ((performance.now() - t0) / 1000);

  // 2. Fill up to verifyEvents quickly (batched transactions), sign a checkpoint, then verify.
  let total = appended;
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
  const tv = performance.now();
  const report = await verifyAuditLog(handle.db, {
    publicKey: settings.signer.publicKey,
    keyName: settings.signer.name,
  });
  const verifyRate = report.events / ((performance.now() - tv) / 1000);
  if (!report.ok) throw new Error(`verification failed: ${JSON.stringify(report.problems[0])}`);

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
    database: "PostgreSQL (local, same machine)",
    writers,
    appendSeconds,
    appendsPerSecond: Math.round(appendRate),
    verifyEvents: report.events,
    verifyEventsPerSecond: Math.round(verifyRate),
    checkpointMsFor: { events: report.events, ms: Math.round(checkpointMs) },
    targets: { appendsPerSecond: 5000, verifyEventsPerSecond: 200_000 },
  };
  await writeFile(new URL("../results/audit.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await handle.close();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
