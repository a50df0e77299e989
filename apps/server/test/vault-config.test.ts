import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VaultStub } from "@enclave/core/testing/vault-stub";
import { ConfigError, loadConfig } from "../src/config.ts";
import { withResolvedSecrets } from "../src/secrets.ts";
import { TEST_SECRET_KEY } from "./helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const KEK = Buffer.alloc(32, 9).toString("base64");

describe("configuration secrets from Vault", () => {
  let vault: VaultStub;
  let env: Record<string, string>;
  beforeAll(async () => {
    vault = new VaultStub();
    vault.put("secret/enclave/app", { secret_key: TEST_SECRET_KEY, kek: KEK });
    vault.put("secret/enclave/weak", { secret_key: "changeme" });
    await vault.start();
    const dir = await mkdtemp(join(tmpdir(), "enclave-vaultcfg-"));
    await writeFile(join(dir, "role-id"), "role-123\n");
    await writeFile(join(dir, "secret-id"), "secret-456\n");
    env = {
      ENCLAVE_ENV: "production",
      ENCLAVE_DATA_DIR: dir,
      VAULT_ADDR: vault.url,
      VAULT_ROLE_ID_FILE: join(dir, "role-id"),
      VAULT_SECRET_ID_FILE: join(dir, "secret-id"),
      SECRET_KEY: "vault:secret/data/enclave/app#secret_key",
      ENCLAVE_KEK: "vault:secret/data/enclave/app#kek",
    };
  });
  afterAll(() => vault.stop());

  it("resolves SECRET_KEY and ENCLAVE_KEK references in production", async () => {
    const { config } = await withResolvedSecrets(loadConfig(env));
    expect(config.secrets.secretKey).toBe(TEST_SECRET_KEY);
    expect(config.secrets.kek).toEqual(Buffer.alloc(32, 9));
  });

  it("applies the same strength rules to a value from Vault", async () => {
    const err = await withResolvedSecrets(
      loadConfig({ ...env, SECRET_KEY: "vault:secret/data/enclave/weak#secret_key" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      "SECRET_KEY (from vault:secret/data/enclave/weak) is a published default value",
    ]);
  });

  it("names the variable when Vault refuses, and needs VAULT_ADDR for references", async () => {
    const err = await withResolvedSecrets(
      loadConfig({ ...env, SECRET_KEY: "vault:secret/data/other/app#k" }),
    ).catch((e: unknown) => e);
    expect((err as ConfigError).problems).toEqual([
      "SECRET_KEY: Vault denied access to secret/data/other/app: check this role's policy",
    ]);
    const { VAULT_ADDR: _addr, ...noVault } = env;
    expect(() => loadConfig(noVault)).toThrow(/refer to Vault but VAULT_ADDR is not set/);
  });

  it("the CLI starts from Vault-held secrets", async () => {
    // Asynchronous spawn: the Vault stand-in lives in this process and must keep answering.
    const child = spawn(process.execPath, ["apps/server/src/cli/main.ts", "audit", "public-key"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, ...env },
    });
    const res = { stdout: "", stderr: "", status: null as number | null };
    child.stdout.on("data", (d: Buffer) => (res.stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (res.stderr += d.toString()));
    res.status = await new Promise((resolve) => child.once("exit", resolve));
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^enclave\.local\/audit\+[0-9a-f]{8}\+/);
  });
});
