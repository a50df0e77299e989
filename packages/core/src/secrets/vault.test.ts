import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGuardedFetch } from "../net/guarded-fetch.ts";
import { VaultStub } from "../../test/vault-stub.ts";
import { VaultClient } from "./vault-client.ts";
import { SecretResolver } from "./resolver.ts";

describe("secrets from Vault (against a Vault API stand-in)", () => {
  let vault: VaultStub;
  let clock: number;
  let files: { roleIdFile: string; secretIdFile: string };
  const fetch = createGuardedFetch({ allowlist: ["127.0.0.1"] });

  beforeEach(async () => {
    clock = Date.now();
    vault = new VaultStub();
    vault.now = () => clock;
    vault.namespace = "team-a";
    vault.put("secret/enclave/openai", { api_key: "sk-v1-canary" });
    await vault.start();
    const dir = await mkdtemp(join(tmpdir(), "enclave-vault-"));
    files = { roleIdFile: join(dir, "role-id"), secretIdFile: join(dir, "secret-id") };
    await writeFile(files.roleIdFile, "role-123\n");
    await writeFile(files.secretIdFile, "secret-456\n");
  });
  afterEach(() => vault.stop());

  const client = () =>
    new VaultClient({
      address: vault.url,
      namespace: "team-a",
      auth: { appRole: files },
      fetch,
      now: () => clock,
    });

  it("logs in with AppRole (ids from files), reads KV v2 and pinned versions", async () => {
    const r = new SecretResolver({ vault: client(), now: () => clock });
    expect(await r.resolve("vault:secret/data/enclave/openai#api_key")).toBe("sk-v1-canary");
    vault.put("secret/enclave/openai", { api_key: "sk-v2-canary" });
    expect(await r.resolve("vault:secret/data/enclave/openai#api_key?version=1")).toBe("sk-v1-canary");
    expect(vault.logins).toBe(1);
    expect(await r.resolve("literal-value")).toBe("literal-value");
  });

  it("picks up a rotated value after the cache TTL, without a restart", async () => {
    const r = new SecretResolver({ vault: client(), ttlMs: 60_000, now: () => clock });
    const ref = "vault:secret/data/enclave/openai#api_key";
    expect(await r.resolve(ref)).toBe("sk-v1-canary");
    vault.put("secret/enclave/openai", { api_key: "sk-v2-canary" });
    expect(await r.resolve(ref)).toBe("sk-v1-canary");
    clock += 61_000;
    expect(await r.resolve(ref)).toBe("sk-v2-canary");
  });

  it("gives a clear error on 403 (policy) and 404, without leaking the token", async () => {
    vault.put("secret/other/db", { password: "x" });
    const r = new SecretResolver({ vault: client(), now: () => clock });
    const denied = await r.resolve("vault:secret/data/other/db#password").catch((e: Error) => e);
    expect((denied as Error).message).toBe(
      "Vault denied access to secret/data/other/db: check this role's policy",
    );
    const missing = await r.resolve("vault:secret/data/enclave/nothing#x").catch((e: Error) => e);
    expect((missing as Error).message).toMatch(/no secret at secret\/data\/enclave\/nothing/);
    expect(String(denied) + String(missing)).not.toMatch(/hvs\./);
    await expect(r.resolve("vault:nonsense")).rejects.toThrow(/malformed Vault reference/);
  });

  it("renews the token before it expires, and logs in again when renewal is refused", async () => {
    vault.leaseSeconds = 30;
    const c = client();
    const r = new SecretResolver({ vault: c, ttlMs: 1, now: () => clock });
    const ref = "vault:secret/data/enclave/openai#api_key";
    await r.resolve(ref);
    clock += 21_000; // past two thirds of the lease
    await r.resolve(ref);
    expect(vault.renewals).toBe(1);
    vault.renewAllowed = false;
    clock += 21_000;
    expect(await r.resolve(ref)).toBe("sk-v1-canary");
    expect(vault.logins).toBe(2);
  });

  it("a Vault outage serves the last good value for the grace period, with one alert, then fails", async () => {
    const alerts: string[] = [];
    const r = new SecretResolver({
      vault: client(),
      ttlMs: 1000,
      graceMs: 60_000,
      now: () => clock,
      onAlert: (a) => alerts.push(a.reference),
    });
    const ref = "vault:secret/data/enclave/openai#api_key";
    expect(await r.resolve(ref)).toBe("sk-v1-canary");
    await vault.stop();
    clock += 2000;
    expect(await r.resolve(ref)).toBe("sk-v1-canary");
    clock += 2000;
    expect(await r.resolve(ref)).toBe("sk-v1-canary");
    expect(alerts).toEqual([ref]);
    clock += 60_000;
    await expect(r.resolve(ref)).rejects.toThrow();
  });

  it("refuses to read without the namespace the role lives in", async () => {
    const wrong = new VaultClient({ address: vault.url, auth: { appRole: files }, fetch, now: () => clock });
    await expect(wrong.readKv("secret", "enclave/openai")).rejects.toThrow(/denied|answered 400/);
  });
});
