import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { migrateDatabase, openPglite, workspaces } from "@enclave/db";
import { Envelope, LocalKek } from "@enclave/core";
import { TEST_SECRET_KEY } from "./helpers.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

describe("`enclave keys rotate`", () => {
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

    const after = await openPglite({ dataDir: join(dataDir, "pg") });
    try {
      expect(
        await new Envelope(after.db, { current: new LocalKek(newKek), previous: [] }).decrypt(
          ws!.id,
          "provider.apiKey",
          ct,
        ),
      ).toBe("sk-canary");
    } finally {
      await after.close();
    }
  });
});
