// Verification speed alone, repeatable: fills a database once (kept between runs; VDB names it),
// then verifies it REPS times, printing events/s, Node CPU per event and the load average.
// Usage: node bench/audit/verify-only.ts   (PostgreSQL at BENCH_DATABASE_URL or the local test server)
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { migrateDatabase, openPostgres } from "@enclave/db";
import { appendAuditEvents } from "../../packages/core/src/audit/chain.ts";
import { verifyAuditLog, auditSettingsFromSecret, createCheckpoint } from "@enclave/core";
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const name = process.env.VDB ?? "enclave_bench_verify";
const c = new pg.Client({ connectionString: adminUrl });
await c.connect();
const exists = (await c.query("select 1 from pg_database where datname=$1", [name])).rowCount;
if (!exists) await c.query(`create database ${name}`);
await c.end();
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const h = await openPostgres({ url: url.toString(), poolMax: 4 });
await migrateDatabase(h);
const settings = auditSettingsFromSecret("ab".repeat(32), "bench.enclave/audit");
const [{ n }] = (await h.pool.query("select count(*)::int as n from audit_events")).rows;
if (n < 200000) {
  for (let i = n; i < 200000; i += 5000) {
    await h.db.transaction(async (tx) => {
      await appendAuditEvents(
        tx as never,
        Array.from({ length: 5000 }, () => ({
          id: randomUUID(),
          createdAt: new Date(),
          workspaceId: randomUUID(),
          actorType: "system",
          actorId: "bench",
          ip: "10.0.0.1",
          userAgent: "bench/1.0",
          action: "bench.fill",
          targetType: "app",
          targetId: randomUUID(),
          outcome: "success",
          requestId: "req-1",
          details: {
            app: "0190a000-0000-7000-8000-000000000001",
            role: "editor",
            note: "数据主权 / 会話ログ",
          },
        })) as never,
      );
    });
  }
  await createCheckpoint(h.db, settings);
}
for (let i = 0; i < Number(process.env.REPS ?? 3); i++) {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const r = await verifyAuditLog(h.db, {
    publicKey: settings.signer.publicKey,
    keyName: settings.signer.name,
    ...(process.env.THREADS ? { threads: Number(process.env.THREADS) } : {}),
    ...(process.env.BATCH ? { batchSize: Number(process.env.BATCH) } : {}),
  });
  const s = (performance.now() - t) / 1000;
  const u = process.cpuUsage(cpu);
  const load = execFileSync("uptime", { encoding: "utf8" }).trim().split("load average: ")[1];
  console.log(
    r.ok,
    r.events,
    Math.round(r.events / s),
    "ev/s",
    ((u.user + u.system) / r.events).toFixed(2),
    "node µs/ev, load",
    load,
  );
}
await h.close();
