import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@enclave/db";
import { createTestDatabase } from "@enclave/db/testing";
import { VaultStub } from "../../test/vault-stub.ts";
import { testCtx } from "../../test/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { createGuardedFetch } from "../net/guarded-fetch.ts";
import { VaultClient } from "../secrets/vault-client.ts";
import { createCheckpoint } from "./checkpoint.ts";
import { emitAudit } from "./emit-audit.ts";
import { openCheckpoint, verifierKey } from "./signed-note.ts";
import { openTransitNoteSigner } from "./transit-signer.ts";
import { verifyAuditLog } from "./verify.ts";

describe("audit checkpoints signed by Vault Transit", () => {
  let vault: VaultStub;
  let database: DatabaseHandle;
  const client = (policies: string[]) =>
    new VaultClient({
      address: vault.url,
      auth: { token: vault.issueToken(policies) },
      fetch: createGuardedFetch({ allowlist: ["127.0.0.1"] }),
    });

  beforeAll(async () => {
    vault = new VaultStub();
    vault.rotateSigningKey("transit/enclave-audit");
    await vault.start();
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await vault.stop();
    await database.close();
  });

  it("signs checkpoints in Vault; they verify with the public key alone", async () => {
    const signer = await openTransitNoteSigner(
      client(["transit/"]),
      "transit",
      "enclave-audit",
      "enclave.test/audit",
    );
    const ctx = testCtx(database);
    for (let i = 0; i < 5; i++)
      await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "test.event", details: { i } }));
    const calls = vault.transitCalls;
    const cp = await createCheckpoint(database.db, { origin: "enclave.test/audit", signer });
    expect(vault.transitCalls).toBe(calls + 1);
    expect(openCheckpoint(cp!.note, signer.publicKey, signer.name)).toMatchObject({ size: 5 });
    expect(verifierKey(signer)).toMatch(/^enclave\.test\/audit\+[0-9a-f]{8}\+/);
    const report = await verifyAuditLog(database.db, { publicKey: signer.publicKey, keyName: signer.name });
    expect(report).toMatchObject({ ok: true, events: 5, checkpointsVerified: 1 });

    // A key rotated in Vault: the open signer keeps the pinned version, so its notes still verify.
    vault.rotateSigningKey("transit/enclave-audit");
    await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "test.event" }));
    const next = await createCheckpoint(database.db, { origin: "enclave.test/audit", signer });
    expect(openCheckpoint(next!.note, signer.publicKey, signer.name)).toMatchObject({ size: 6 });
  });

  it("a token without the sign policy gets a clear refusal, and no checkpoint is stored", async () => {
    const signer = await openTransitNoteSigner(
      client(["transit/keys/"]),
      "transit",
      "enclave-audit",
      "enclave.test/audit",
    );
    await withTransaction(testCtx(database), (tx, c) => emitAudit(tx, c, { action: "test.event" }));
    await expect(createCheckpoint(database.db, { origin: "enclave.test/audit", signer })).rejects.toThrow(
      /denied/,
    );
  });
});
