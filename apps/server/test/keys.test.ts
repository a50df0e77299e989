import { randomBytes } from "node:crypto";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { inArray, sql } from "drizzle-orm";
import { auditEvents, migrateDatabase, openPglite, queryRows, workspaces } from "@enclave/db";
import { createGuardedFetch, Envelope, LocalKek, VaultClient, VaultTransitKek } from "@enclave/core";
import { VaultStub } from "@enclave/core/testing/vault-stub";
import { TEST_SECRET_KEY } from "./helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

// Each test spawns the CLI several times; on a loaded 2-core machine that takes longer than 30 s.
describe("`enclave keys rotate`", { timeout: 120_000 }, () => {
  it("rewraps every data key under the new KEK; ciphertexts decrypt with the new KEK alone", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "enclave-keys-"));
    const oldKek = randomBytes(32);
    const newKek = randomBytes(32);
    const db = await openPglite({ dataDir: join(dataDir, "pg") });
    await migrateDatabase(db);
    const [ws] = await db.db.insert(workspaces).values({ name: "A" }).returning();
    const ct = await new Envelope(db.db, { current: new LocalKek(oldKek), previous: [] }).encrypt(
      ws!.id,
      "provider.apiKey",
      "sk-canary",
    );
    await db.close();

    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["apps/server/src/cli/main.ts", "keys", "rotate"], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, ENCLAVE_DATA_DIR: dataDir, SECRET_KEY: TEST_SECRET_KEY, ...env },
        encoding: "utf8",
        timeout: 30_000,
      });
    const missing = run({ ENCLAVE_KEK: newKek.toString("base64") });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("ENCLAVE_KEK_PREVIOUS");
    const ok = run({
      ENCLAVE_KEK: newKek.toString("base64"),
      ENCLAVE_KEK_PREVIOUS: oldKek.toString("base64"),
    });
    expect(ok.stdout).toContain("rewrapped 1 data key(s)");
    expect(ok.status).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(newKek.toString("base64"));
    const data = spawnSync(process.execPath, ["apps/server/src/cli/main.ts", "keys", "rotate-data"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        ENCLAVE_DATA_DIR: dataDir,
        SECRET_KEY: TEST_SECRET_KEY,
        ENCLAVE_KEK: newKek.toString("base64"),
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(data.stdout).toContain("new data keys for 1 workspace(s)");
    expect(data.status).toBe(0);

    const after = await openPglite({ dataDir: join(dataDir, "pg") });
    try {
      expect(
        await new Envelope(after.db, { current: new LocalKek(newKek), previous: [] }).decrypt(
          ws!.id,
          "provider.apiKey",
          ct,
        ),
      ).toBe("sk-canary");
      // Read without a flush on purpose: each command chained its own events before exiting.
      const chained = await after.db
        .select({ action: auditEvents.action })
        .from(auditEvents)
        .where(inArray(auditEvents.action, ["keys.kek.rotate", "keys.data_keys.rotate"]));
      expect(chained.map((e) => e.action).sort()).toEqual(["keys.data_keys.rotate", "keys.kek.rotate"]);
      expect(await queryRows(after.db, sql`select id from audit_inbox`)).toEqual([]);
    } finally {
      await after.close();
    }
  });
});

describe("moving the KEK into Vault Transit", { timeout: 120_000 }, () => {
  it("`keys rotate` rewraps local data keys under Transit; `doctor` proves the Transit key works", async () => {
    const vault = new VaultStub();
    vault.rotateTransitKey("transit/enclave-kek");
    vault.rotateSigningKey("transit/enclave-audit");
    await vault.start();
    const token = vault.issueToken(["transit/"]);
    try {
      const dataDir = await mkdtemp(join(tmpdir(), "enclave-transit-"));
      const localKek = randomBytes(32);
      const db = await openPglite({ dataDir: join(dataDir, "pg") });
      await migrateDatabase(db);
      const [ws] = await db.db.insert(workspaces).values({ name: "A" }).returning();
      const ct = await new Envelope(db.db, { current: new LocalKek(localKek), previous: [] }).encrypt(
        ws!.id,
        "provider.apiKey",
        "sk-transit-canary",
      );
      await db.close();

      // Async: the Vault stand-in answers from this process, so the CLI must not block it.
      const run = (...args: string[]) =>
        promisify(execFile)(process.execPath, ["apps/server/src/cli/main.ts", ...args], {
          cwd: repoRoot,
          env: {
            PATH: process.env.PATH,
            ENCLAVE_DATA_DIR: dataDir,
            SECRET_KEY: TEST_SECRET_KEY,
            ENCLAVE_KEK_PROVIDER: "vault-transit",
            AUDIT_SIGNER: "vault-transit",
            VAULT_ADDR: vault.url,
            VAULT_TOKEN: token,
            ENCLAVE_KEK: localKek.toString("base64"),
          },
          encoding: "utf8",
          timeout: 30_000,
        }).catch((err: { stdout: string; stderr: string; code: number }) => err);
      const rotated = await run("keys", "rotate");
      expect(rotated.stdout).toContain("rewrapped 1 data key(s) under vault-transit:transit/enclave-kek");
      const doctor = await run("doctor");
      expect(doctor.stdout).toMatch(/OK +kek: data keys are wrapped by vault-transit:transit\/enclave-kek/);
      expect(doctor.stdout).not.toContain("still wrapped by an older KEK");
      expect(doctor.stdout + doctor.stderr).not.toContain(token);

      // Checkpoints are signed by the Transit ed25519 key; the CLI publishes its verifier key.
      const signs = vault.transitCalls;
      const checkpoint = await run("audit", "checkpoint");
      expect(checkpoint.stdout).toMatch(/^enclave\.local\/audit\n\d+\n/);
      expect(vault.transitCalls).toBeGreaterThan(signs);
      const publicKey = await run("audit", "public-key");
      const raw = vault.signingKeys
        .get("transit/enclave-audit")![0]!
        .publicKey.export({ format: "der", type: "spki" });
      expect(publicKey.stdout.trim().split("+").slice(2).join("+")).toBe(
        Buffer.concat([Buffer.from([1]), raw.subarray(12)]).toString("base64"),
      );
      const verified = await run("audit", "verify");
      expect(verified.stdout).toContain("verified");

      const after = await openPglite({ dataDir: join(dataDir, "pg") });
      try {
        const transit = new VaultTransitKek(
          new VaultClient({
            address: vault.url,
            auth: { token },
            fetch: createGuardedFetch({ allowlist: ["127.0.0.1"] }),
          }),
          "transit",
          "enclave-kek",
        );
        const envelope = new Envelope(after.db, { current: transit, previous: [] });
        expect(await envelope.decrypt(ws!.id, "provider.apiKey", ct)).toBe("sk-transit-canary");
      } finally {
        await after.close();
      }
    } finally {
      await vault.stop();
    }
  });
});
