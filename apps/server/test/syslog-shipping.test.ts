import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import type { DatabaseHandle } from "@enclave/db";
import { createTestDatabase } from "@enclave/db/testing";
import { emitAudit, flushAuditInbox, startShipping, systemCtx, withTransaction } from "@enclave/core";
import { SyslogSink } from "../src/audit-sinks/syslog-sink.ts";
import { FileSink } from "../src/audit-sinks/file-sink.ts";

const RSYSLOGD = "/usr/sbin/rsyslogd";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A real rsyslogd receiving on loopback and writing each raw message to a file. */
class Rsyslog {
  private child: ChildProcess | undefined;
  readonly dir: string;
  readonly port: number;
  readonly tls: { ca: string; cert: string; key: string } | undefined;
  constructor(dir: string, port: number, tls?: { ca: string; cert: string; key: string }) {
    this.dir = dir;
    this.port = port;
    this.tls = tls;
  }
  async start(): Promise<void> {
    const conf = join(this.dir, "rsyslog.conf");
    const tlsGlobal = this.tls
      ? `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${this.tls.ca}" DefaultNetstreamDriverCertFile="${this.tls.cert}" DefaultNetstreamDriverKeyFile="${this.tls.key}")\n`
      : "";
    const tcpModule = this.tls
      ? `module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="anon")`
      : `module(load="imtcp")`;
    await writeFile(
      conf,
      `global(workDirectory="${this.dir}")\n${tlsGlobal}${tcpModule}\n` +
        `template(name="raw" type="string" string="%rawmsg%\\n")\n` +
        `ruleset(name="siem") { action(type="omfile" file="${this.dir}/received.log" template="raw") }\n` +
        `input(type="imtcp" address="127.0.0.1" port="${this.port}" ruleset="siem")\n`,
    );
    this.child = spawn(RSYSLOGD, ["-n", "-f", conf, "-i", join(this.dir, "rsyslog.pid")], {
      stdio: "ignore",
    });
    await until(async () => {
      const s = await import("node:net").then((net) => net.connect({ host: "127.0.0.1", port: this.port }));
      return new Promise<boolean>((resolve) => {
        s.once("connect", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(false));
      });
    });
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
  }
  /** Event seqs in the order rsyslog wrote them. */
  async seqs(): Promise<number[]> {
    const text = await readFile(join(this.dir, "received.log"), "utf8").catch(() => "");
    return [...text.matchAll(/\[enclave@32473 seq="(\d+)"/g)].map((m) => Number(m[1]));
  }
}

function makeCerts(dir: string) {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=Enclave Test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  ]);
  run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  ]);
  const ext = join(dir, "ext.cnf");
  execFileSync("sh", ["-c", `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${ext}`]);
  run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    ext,
    "-out",
    "server.pem",
  ]);
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

// rsyslog is a Debian package CI installs; a machine with only Node and npm skips this file.
describe.skipIf(!existsSync(RSYSLOGD))("shipping to a real rsyslog", () => {
  let database: DatabaseHandle;
  const log = pino({ level: "silent" });
  const emit = async (n: number) => {
    const ctx = systemCtx({ db: database.db, log, services: {} }, "test", "req");
    for (let i = 0; i < n; i++)
      await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "member.invite", details: { i } }));
    await flushAuditInbox(database.db); // chained, so counting audit_events counts them all
  };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it.each([["tcp"], ["tls"]] as const)(
    "over %s: every event arrives across a receiver outage, in recoverable seq order",
    async (proto) => {
      const dir = await mkdtemp(join(tmpdir(), `enclave-rsyslog-${proto}-`));
      const tls = proto === "tls" ? makeCerts(dir) : undefined;
      const port = await freePort();
      const rsyslog = new Rsyslog(dir, port, tls);
      await rsyslog.start();
      const sink = new SyslogSink({
        url: `${proto}://localhost:${port}`,
        caFile: tls?.ca,
        connectTimeoutMs: 1000,
      });
      // Each test ships the whole log so far through its own sink id (its own cursor).
      const total = async () => await database.db.$count((await import("@enclave/db")).auditEvents);
      await emit(20);
      const stop = startShipping(database.db, [sink], log, { idleMs: 50, maxBackoffMs: 200 });
      try {
        await until(async () => new Set(await rsyslog.seqs()).size === (await total()));
        await rsyslog.stop();
        await emit(30); // generated while the SIEM is down
        await new Promise((r) => setTimeout(r, 500));
        await rsyslog.start();
        await emit(10);
        const expected = await total();
        await until(async () => new Set(await rsyslog.seqs()).size === expected);
        const seqs = await rsyslog.seqs();
        expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual([...Array(expected).keys()]);
        // At-least-once: duplicates only from the resend window, never unbounded.
        expect(seqs.length - expected).toBeLessThanOrEqual(2000);
      } finally {
        await stop();
        await rsyslog.stop();
      }
      const raw = await readFile(join(dir, "received.log"), "utf8");
      const line = raw.split("\n").find((l) => l.includes('seq="0"'))!;
      expect(line).toMatch(
        /^<110>1 \S+Z \S+ enclave \d+ member\.invite \[enclave@32473 seq="0" id="[0-9a-f-]{36}"\] \{/,
      );
      const doc = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, unknown>;
      expect(doc).toMatchObject({ event: { action: "member.invite", sequence: 0 } });
    },
  );

  it("the file sink writes JSON lines and rotates by size", async () => {
    const dir = await mkdtemp(join(tmpdir(), "enclave-filesink-"));
    const sink = new FileSink(dir, 2000);
    const stop = startShipping(database.db, [sink], log, { idleMs: 20, batchSize: 5 });
    const expected = await database.db.$count((await import("@enclave/db")).auditEvents);
    const lines = async () => {
      const files = await readdir(dir);
      const texts = await Promise.all(files.map((f) => readFile(join(dir, f), "utf8")));
      return texts.join("").trim().split("\n").filter(Boolean);
    };
    // While the sink runs, a file listed by readdir can be rotated away before it is read: look again.
    const linesWhileRunning = () =>
      lines().catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return [];
        throw err;
      });
    await until(async () => (await linesWhileRunning()).length >= expected);
    await stop();
    const files = await readdir(dir);
    expect(files.length).toBeGreaterThan(1);
    expect(files).toContain("audit-current.jsonl");
    const seqs = (await lines()).map(
      (l) => (JSON.parse(l) as { event: { sequence: number } }).event.sequence,
    );
    expect(new Set(seqs).size).toBe(expected);
  });
});
