// Benchmark: what Enclave adds to a chat call. The same load (64 connections) goes to the local fake
// model server directly and through Enclave's /v1/chat-messages (app-key auth, limits, published-app
// lookup, persistence of conversation + message + usage) on real PostgreSQL.
// Usage: npm run bench:chat  (BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_SECONDS, BENCH_CONNECTIONS)
import { mkdtempSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { once } from "node:events";
import pg from "pg";
import pino from "pino";
import { Redis } from "ioredis";
import { InProcessQueue } from "@enclave/core";
import { count } from "drizzle-orm";
import { messages, migrateDatabase, openPostgres } from "@enclave/db";
import { loadConfig } from "../../apps/server/src/config.ts";
import { buildApp } from "../../apps/server/src/http/build-app.ts";
import { FAKE_MODEL } from "../../apps/server/test/fixtures/fake-model-server.ts";
import { setupOwner } from "../../apps/server/test/identity-world.ts";
import { backendCpu, backendCpuSince } from "../pg-cpu.ts";

const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = process.env.BENCH_REDIS_URL;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** Enclave processes serving the load (like `enclave serve` ×N behind a load balancer). */
const processes = Number(process.env.BENCH_SERVE_PROCESSES ?? 1);

async function admin(sqlText: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(sqlText);
  await c.end();
}

type Spec = {
  kind: "blocking" | "ttft";
  url: string;
  headers: Record<string, string>;
  body: string;
  connections?: number;
};

/**
 * Runs one load phase in a child process and returns its JSON result, with the CPU this process
 * (Enclave, or idle when the fake is called directly) spent per request during the phase.
 */
async function run(spec: Spec): Promise<Record<string, number>> {
  const cpu = process.cpuUsage();
  const pg0 = await backendCpu(database.pool);
  const child = spawn(
    process.execPath,
    [here("load.ts"), JSON.stringify({ ...spec, connections, seconds })],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, "exit")) as [number];
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const result = JSON.parse(out) as Record<string, number>;
  const used = process.cpuUsage(cpu);
  const count = result.requests ?? result.streams ?? 0;
  result.enclaveCpuUsPerRequest = count ? Math.round((used.user + used.system) / count) : 0;
  const pgSeconds = backendCpuSince(pg0, await backendCpu(database.pool));
  result.postgresCpuUsPerRequest = count ? Math.round((pgSeconds * 1e6) / count) : 0;
  return result;
}

function here(file: string): string {
  return new URL(file, import.meta.url).pathname;
}

/** The same load split over every Enclave base URL at once; rates add up, latencies are the worst. */
async function spread(bases: string[], spec: Omit<Spec, "url">, path: string) {
  const each = Math.max(1, Math.floor(connections / bases.length));
  const parts = await Promise.all(bases.map((b) => run({ ...spec, url: `${b}${path}`, connections: each })));
  if (parts.length === 1) return parts[0]!;
  const sum = (k: string) => parts.reduce((n, p) => n + (p[k] ?? 0), 0);
  const max = (k: string) => Math.max(...parts.map((p) => p[k] ?? 0));
  return {
    ...(spec.kind === "blocking"
      ? { requests: sum("requests"), rps: sum("rps") }
      : { streams: sum("streams"), perSecond: sum("perSecond") }),
    p50Ms: max("p50Ms"),
    p99Ms: max("p99Ms"),
    errors: sum("errors"),
    processes: parts.length,
  };
}

async function startServe(env: Record<string, string>): Promise<{ base: string; stop: () => void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, [here("../../apps/server/src/cli/main.ts"), "serve"], {
    env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "silent" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${base}/healthz`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, stop: () => child.kill("SIGTERM") };
}

async function startFake(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [here("fake-server.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  return { url: line.toString().trim(), stop: () => child.kill("SIGTERM") };
}

const fake = await startFake();
const name = `enclave_bench_chat_${randomBytes(4).toString("hex")}`;
await admin(`CREATE DATABASE ${name}`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${name}`;
const database = await openPostgres({ url: dbUrl.toString(), poolMax: 20 });
const logger = pino({ level: "silent" });
const queue = new InProcessQueue(logger);
const redis = redisUrl ? new Redis(redisUrl) : undefined;
try {
  await migrateDatabase(database);
  const env = {
    ENCLAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "enclave-bench-")),
    SECRET_KEY: randomBytes(32).toString("base64url"),
    LOG_LEVEL: "silent",
    DATABASE_POOL_MAX: "20",
  };
  const config = loadConfig(env);
  const app = await buildApp(config, { database, queue, logger, ...(redis ? { redis } : {}) });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const { owner } = await setupOwner({ app, database, close: async () => {} });
  const ok = async (res: { statusCode: number; body: string }, want: number) => {
    if (res.statusCode !== want) throw new Error(`set-up failed: ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body || "{}") as Record<string, string>;
  };
  await ok(
    await owner.post("/console/api/workspaces/current/outbound-allowlist", { entry: "127.0.0.1" }),
    201,
  );
  const provider = await ok(
    await owner.post("/console/api/workspaces/current/model-providers", {
      kind: "openai_compatible",
      name: "fake",
      baseUrl: fake.url,
      apiKey: "sk-bench",
      models: [{ name: FAKE_MODEL }],
    }),
    201,
  );
  const created = await ok(
    await owner.post("/console/api/apps", {
      name: "bench",
      mode: "chat",
      config: { model: { providerId: provider.id, name: FAKE_MODEL }, prePrompt: "You are fast." },
    }),
    201,
  );
  await ok(
    await owner.patch(`/console/api/apps/${created.id}`, {
      apiRpm: 1_000_000,
      apiRph: 1_000_000,
      maxConcurrentRequests: 10_000,
    }),
    200,
  );
  await ok(await owner.post(`/console/api/apps/${created.id}/publish`), 200);
  const key = await ok(await owner.post(`/console/api/apps/${created.id}/api-keys`, { name: "bench" }), 201);

  // Extra replicas share the database and the data dir (the generated KEK decrypts the provider key).
  const replicas = await Promise.all(
    Array.from({ length: processes - 1 }, () => startServe({ ...env, DATABASE_URL: dbUrl.toString() })),
  );
  const bases = [base, ...replicas.map((r) => r.base)];
  const json = { "content-type": "application/json" };
  const auth = { ...json, authorization: `Bearer ${key.token}` };
  const direct = JSON.stringify({ model: FAKE_MODEL, messages: [{ role: "user", content: "hello bench" }] });
  const directStream = JSON.stringify({
    model: FAKE_MODEL,
    stream: true,
    messages: [{ role: "user", content: "hello bench" }],
  });
  const viaBlocking = JSON.stringify({
    inputs: {},
    query: "hello bench",
    user: "bench",
    response_mode: "blocking",
  });
  const viaStreaming = JSON.stringify({
    inputs: {},
    query: "hello bench",
    user: "bench",
    response_mode: "streaming",
  });

  // Warm both paths (JIT, pools, caches) before measuring.
  await run({ kind: "blocking", url: `${base}/v1/chat-messages`, headers: auth, body: viaBlocking });

  const results = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    settings: { seconds, connections, processes, database: "postgresql", redis: Boolean(redisUrl) },
    blocking: {
      direct: await run({
        kind: "blocking",
        url: `${fake.url}/chat/completions`,
        headers: json,
        body: direct,
      }),
      enclave: await spread(
        bases,
        { kind: "blocking", headers: auth, body: viaBlocking },
        "/v1/chat-messages",
      ),
    },
    streaming: {
      direct: await run({
        kind: "ttft",
        url: `${fake.url}/chat/completions`,
        headers: json,
        body: directStream,
      }),
      enclave: await spread(bases, { kind: "ttft", headers: auth, body: viaStreaming }, "/v1/chat-messages"),
    },
  };
  const added = {
    blockingP50Ms: Number((results.blocking.enclave.p50Ms! - results.blocking.direct.p50Ms!).toFixed(2)),
    blockingP99Ms: Number((results.blocking.enclave.p99Ms! - results.blocking.direct.p99Ms!).toFixed(2)),
    ttftP50Ms: Number((results.streaming.enclave.p50Ms! - results.streaming.direct.p50Ms!).toFixed(2)),
    ttftP99Ms: Number((results.streaming.enclave.p99Ms! - results.streaming.direct.p99Ms!).toFixed(2)),
  };
  const [stored] = await database.db.select({ n: count() }).from(messages);
  const out = { ...results, added, messagesStored: stored?.n ?? 0, at: new Date().toISOString() };
  console.log(JSON.stringify(out, null, 2));
  await writeFile(new URL("../results/chat.json", import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  for (const r of replicas) r.stop();
  await app.close();
} finally {
  await queue.close();
  await database.close();
  redis?.disconnect();
  fake.stop();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
