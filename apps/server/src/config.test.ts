import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";
import { syncConfigDocs } from "./config/docs.ts";

const STRONG = "q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy";
const KEK = Buffer.alloc(32, 7).toString("base64");
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "enclave-config-"));
}

function problems(env: Record<string, string>, cwd?: string): string[] {
  try {
    loadConfig(env, cwd);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("production secrets", () => {
  const prod = { ENCLAVE_ENV: "production", ENCLAVE_DATA_DIR: "/nonexistent-enclave", ENCLAVE_KEK: KEK };

  it.each([
    ["changeme", /SECRET_KEY is a published default/],
    ["secret", /SECRET_KEY is a published default/],
    ["sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U", /SECRET_KEY is a published default/],
    ["a1B2c3D4e5F6g7H8i9J0", /SECRET_KEY is shorter than 32 bytes/],
    ["a".repeat(64), /SECRET_KEY has too little entropy/],
    ["abc123".repeat(8), /SECRET_KEY has too little entropy/],
  ])("refuses SECRET_KEY=%s", (key, message) => {
    expect(problems({ ...prod, SECRET_KEY: key })).toEqual([expect.stringMatching(message)]);
  });

  it("requires SECRET_KEY in production instead of generating one", () => {
    expect(problems(prod)).toEqual([expect.stringMatching(/SECRET_KEY is required in production/)]);
  });

  it("accepts a strong key from the environment or from SECRET_KEY_FILE (trailing newline trimmed)", async () => {
    expect(loadConfig({ ...prod, SECRET_KEY: STRONG }).secrets).toMatchObject({
      secretKey: STRONG,
      secretKeySource: "env",
    });
    const file = join(await tempDir(), "secret_key");
    await writeFile(file, `${STRONG}\n`);
    expect(loadConfig({ ...prod, SECRET_KEY_FILE: file }).secrets).toMatchObject({
      secretKey: STRONG,
      secretKeySource: "file",
    });
  });

  it("requires a 32-byte ENCLAVE_KEK in production", () => {
    const { ENCLAVE_KEK: _kek, ...noKek } = prod;
    expect(problems({ ...noKek, SECRET_KEY: STRONG })).toEqual([
      expect.stringMatching(/ENCLAVE_KEK is required in production/),
    ]);
    expect(problems({ ...prod, SECRET_KEY: STRONG, ENCLAVE_KEK: "c2hvcnQ=" })).toEqual([
      "ENCLAVE_KEK: invalid value",
    ]);
    expect(loadConfig({ ...prod, SECRET_KEY: STRONG }).secrets.kek).toEqual(Buffer.alloc(32, 7));
  });

  it("with Vault Transit as KEK provider, needs VAULT_ADDR but no local ENCLAVE_KEK", () => {
    const { ENCLAVE_KEK: _kek, ...noKek } = prod;
    const transit = { ...noKek, SECRET_KEY: STRONG, ENCLAVE_KEK_PROVIDER: "vault-transit" };
    expect(problems(transit)).toEqual(["ENCLAVE_KEK_PROVIDER=vault-transit needs VAULT_ADDR"]);
    const config = loadConfig({ ...transit, VAULT_ADDR: "https://vault.internal:8200" });
    expect(config.secrets).toMatchObject({ kekProvider: "vault-transit", kek: undefined });
    expect(config.vault).toMatchObject({ transitMount: "transit", transitKey: "enclave-kek" });
    expect(problems({ ...transit, VAULT_ADDR: "https://v:8200", VAULT_TRANSIT_KEY: "../sys" })).toEqual([
      expect.stringMatching(/^VAULT_TRANSIT_KEY:/),
    ]);
  });

  it("refuses SECRET_KEY and SECRET_KEY_FILE together", async () => {
    const file = join(await tempDir(), "secret_key");
    await writeFile(file, STRONG);
    expect(problems({ ...prod, SECRET_KEY: STRONG, SECRET_KEY_FILE: file })).toEqual([
      "SECRET_KEY and SECRET_KEY_FILE are both set: set only one",
    ]);
  });

  it("names an unreadable _FILE without crashing", () => {
    expect(problems({ ...prod, SECRET_KEY_FILE: "/nonexistent/secret" })).toEqual([
      expect.stringMatching(/^SECRET_KEY_FILE: cannot read \/nonexistent\/secret \(ENOENT\)/),
    ]);
  });

  it.each([
    [{ SECRET_KEY: "changeme" }, "SECRET_KEY is a published default value"],
    [{ SECRET_KEY: "a1B2c3D4e5F6g7H8i9J0" }, "SECRET_KEY is shorter than 32 bytes"],
    [{ SECRET_KEY: STRONG, SECRET_KEY_FILE: "/etc/hostname" }, "SECRET_KEY and SECRET_KEY_FILE are both set"],
  ])("the process exits non-zero naming the problem (%o)", (env, message) => {
    const result = spawnSync(process.execPath, ["apps/server/src/cli/main.ts", "serve"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, ENCLAVE_ENV: "production", ENCLAVE_KEK: KEK, ...env },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain(STRONG);
  });
});

describe("embedded secrets", () => {
  it("are generated once with mode 0600 and reused afterwards", async () => {
    const dir = await tempDir();
    const first = loadConfig({ ENCLAVE_DATA_DIR: dir });
    expect(first.secrets.secretKeySource).toBe("generated");
    expect(Buffer.byteLength(first.secrets.secretKey)).toBeGreaterThanOrEqual(48);
    const path = join(dir, "secrets", "secret_key");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "secrets"))).mode & 0o777).toBe(0o700);
    expect((await readFile(path, "utf8")).trim()).toBe(first.secrets.secretKey);
    const second = loadConfig({ ENCLAVE_DATA_DIR: dir });
    expect(second.secrets.secretKey).toBe(first.secrets.secretKey);
    expect(first.secrets.kek).toHaveLength(32);
    expect((await stat(join(dir, "secrets", "kek"))).mode & 0o777).toBe(0o600);
    expect(second.secrets.kek).toEqual(first.secrets.kek);
  });

  it("a weak key outside production is a warning, not a refusal", async () => {
    const config = loadConfig({ ENCLAVE_DATA_DIR: await tempDir(), SECRET_KEY: "changeme" });
    expect(config.warnings).toEqual([expect.stringMatching(/refused in production/)]);
  });
});

describe("parsing", () => {
  it("uses documented defaults and treats empty strings as unset", async () => {
    const dir = await tempDir();
    const config = loadConfig({ ENCLAVE_DATA_DIR: dir, PORT: "", HOST: "", DATABASE_URL: "" });
    expect(config.server).toMatchObject({ port: 5001, host: "127.0.0.1", trustedProxies: [] });
    expect(config.database.url).toBeUndefined();
    expect(config.production).toBe(false);
  });

  it("resolves the data directory against the working directory", async () => {
    const cwd = await tempDir();
    expect(loadConfig({}, cwd).dataDir).toBe(join(cwd, "data"));
  });

  it("names each bad variable", async () => {
    const found = problems({
      ENCLAVE_DATA_DIR: await tempDir(),
      PORT: "http",
      LOG_LEVEL: "loud",
      TRUSTED_PROXIES: "10.0.0.0/8, not-an-ip",
    });
    expect(found.map((p) => p.split(":")[0]).sort()).toEqual(["LOG_LEVEL", "PORT", "TRUSTED_PROXIES"]);
  });

  it("never echoes a secret variable's value in an error", async () => {
    const found = problems({
      ENCLAVE_DATA_DIR: await tempDir(),
      DATABASE_URL: "mysql://admin:hunter2-canary@db/x",
    });
    expect(found).toEqual(["DATABASE_URL: invalid value"]);
    expect(found.join()).not.toContain("hunter2-canary");
  });

  it("parses trusted proxies as a list of IPs and CIDRs", async () => {
    const config = loadConfig({
      ENCLAVE_DATA_DIR: await tempDir(),
      TRUSTED_PROXIES: "10.0.0.0/8, 127.0.0.1,::1",
    });
    expect(config.server.trustedProxies).toEqual(["10.0.0.0/8", "127.0.0.1", "::1"]);
  });
});

it("the README's configuration table matches the schema", () => {
  expect(syncConfigDocs(join(repoRoot, "README.md"), false)).toBe(false);
});
