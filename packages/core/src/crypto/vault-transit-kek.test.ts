import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceDataKeys, workspaces, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { VaultStub } from "../../test/vault-stub.ts";
import { createGuardedFetch } from "../net/guarded-fetch.ts";
import { VaultClient } from "../secrets/vault-client.ts";
import { Envelope } from "./envelope.ts";
import { LocalKek } from "./kek.ts";
import { VaultTransitKek } from "./vault-transit-kek.ts";

describe.each(testDatabaseKinds())("Vault Transit as the key-encryption key on %s", (kind) => {
  let database: DatabaseHandle;
  let vault: VaultStub;
  let transit: VaultTransitKek;
  let a: string;
  let b: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const rows = await database.db
      .insert(workspaces)
      .values([{ name: "A" }, { name: "B" }])
      .returning();
    a = rows[0]!.id;
    b = rows[1]!.id;
    vault = new VaultStub();
    vault.rotateTransitKey("transit/enclave-kek");
    await vault.start();
    const client = new VaultClient({
      address: vault.url,
      auth: { token: vault.issueToken(["transit/"]) },
      fetch: createGuardedFetch({ allowlist: ["127.0.0.1"] }),
    });
    transit = new VaultTransitKek(client, "transit", "enclave-kek");
  });
  afterAll(async () => {
    await vault.stop();
    await database.close();
  });

  it("wraps data keys in Vault, bound to their workspace, and round-trips fields", async () => {
    const env = new Envelope(database.db, { current: transit, previous: [] });
    const ct = await env.encrypt(a, "provider.apiKey", "sk-transit-canary-123");
    const [row] = await database.db.select().from(workspaceDataKeys);
    expect(row!.kekId).toBe("vault-transit:transit/enclave-kek");
    expect(row!.wrappedKey).toMatch(/^vault:v1:/);
    // A fresh envelope (no cached key) must go back to Vault to unwrap.
    const calls = vault.transitCalls;
    expect(
      await new Envelope(database.db, { current: transit, previous: [] }).decrypt(a, "provider.apiKey", ct),
    ).toBe("sk-transit-canary-123");
    expect(vault.transitCalls).toBe(calls + 1);
    // The wrapped key copied to another workspace does not unwrap there.
    await expect(transit.unwrap(row!.wrappedKey, b)).rejects.toThrow();
  });

  it("migrates local-KEK data keys into Vault, and rewraps after the Transit key rotates", async () => {
    await database.db.delete(workspaceDataKeys);
    const local = new LocalKek(randomBytes(32));
    const ct = await new Envelope(database.db, { current: local, previous: [] }).encrypt(
      b,
      "sink.token",
      "tok-1",
    );
    const migrating = new Envelope(database.db, { current: transit, previous: [local] });
    expect(await migrating.rewrapAll()).toBe(1);
    expect(await migrating.rewrapAll()).toBe(0);
    const onlyVault = () => new Envelope(database.db, { current: transit, previous: [] });
    expect(await onlyVault().decrypt(b, "sink.token", ct)).toBe("tok-1");

    vault.rotateTransitKey("transit/enclave-kek");
    expect(await onlyVault().rewrapAll()).toBe(1);
    const [row] = await database.db.select().from(workspaceDataKeys);
    expect(row!.wrappedKey).toMatch(/^vault:v2:/);
    expect(await onlyVault().rewrapAll()).toBe(0);
    expect(await onlyVault().decrypt(b, "sink.token", ct)).toBe("tok-1");
  });

  it("fails closed when Vault refuses: no plaintext, a clear error", async () => {
    const denied = new VaultTransitKek(
      new VaultClient({
        address: vault.url,
        auth: { token: vault.issueToken(["secret/"]) },
        fetch: createGuardedFetch({ allowlist: ["127.0.0.1"] }),
      }),
      "transit",
      "enclave-kek",
    );
    await expect(denied.wrap(randomBytes(32), a)).rejects.toThrow(/denied/);
  });
});
