import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_SECRET_KEY } from "./helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

interface Started {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
  output: () => string;
}

/** Spawns a server process on a free port and resolves once it prints its URL. */
async function startProcess(script: string, args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 45_000);
    child.stdout!.on("data", () => {
      const m = /Enclave is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exit.then((code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { child, url, exit, output: () => out };
}

describe("the enclave process", () => {
  it("`start` on a fresh data dir: migrates, generates secrets, serves /healthz and /readyz, exits 0 on SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "enclave-proc-"));
    const s = await startProcess("apps/server/src/cli/main.ts", ["start"], { ENCLAVE_DATA_DIR: dataDir });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect((await stat(join(dataDir, "secrets", "secret_key"))).mode & 0o777).toBe(0o600);
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
  });

  it("SIGTERM during an in-flight request lets it finish, refuses new work, and exits 0", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "enclave-proc-"));
    const s = await startProcess("apps/server/test/fixtures/slow-server.ts", [], {
      ENCLAVE_DATA_DIR: dataDir,
      SECRET_KEY: TEST_SECRET_KEY,
      SLOW_MS: "1500",
    });
    const inFlight = fetch(`${s.url}/test/slow`);
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    const late = await fetch(`${s.url}/healthz`).then(
      (res) => res.status,
      () => "refused",
    );
    expect([503, "refused"]).toContain(late);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });
    expect(await s.exit).toBe(0);
  });

  it("`migrate` applies migrations once and reports an up-to-date database the second time", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "enclave-proc-"));
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ["apps/server/src/cli/main.ts", "migrate"], {
          cwd: repoRoot,
          env: { PATH: process.env.PATH, ENCLAVE_DATA_DIR: dataDir },
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.once("exit", (code) => resolve({ code, out }));
      });
    const first = await run();
    expect(first).toMatchObject({ code: 0, out: expect.stringMatching(/applied \d+ migration/) });
    expect(await run()).toEqual({ code: 0, out: "database is up to date\n" });
  });

  it("rejects an unknown command with usage and exit code 2", async () => {
    const child = spawn(process.execPath, ["apps/server/src/cli/main.ts", "launch"], { cwd: repoRoot });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(err).toContain('unknown command "launch"');
    expect(err).toContain("Usage: enclave <command>");
  });
});
