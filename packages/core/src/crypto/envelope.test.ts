import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceDataKeys, workspaces, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { Envelope } from "./envelope.ts";
import { LocalKek } from "./kek.ts";

describe.each(testDatabaseKinds())("envelope encryption on %s", (kind) => {
  let database: DatabaseHandle;
  let a: string;
  let b: string;
  const kek1 = new LocalKek(randomBytes(32));
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const rows = await database.db
      .insert(workspaces)
      .values([{ name: "A" }, { name: "B" }])
      .returning();
    a = rows[0]!.id;
    b = rows[1]!.id;
  });
  afterAll(() => database.close());

  it("round-trips, never stores the plaintext or the raw data key, and binds workspace + field", async () => {
    const env = new Envelope(database.db, { current: kek1, previous: [] });
    const canary = "sk-canary-0123456789abcdef";
    const ct = await env.encrypt(a, "provider.apiKey", canary);
    expect(ct).toMatch(/^enc1\.[0-9a-f-]{36}\.v1\./);
    expect(ct).not.toContain(canary);
    expect(await env.decrypt(a, "provider.apiKey", ct)).toBe(canary);
    await expect(env.decrypt(b, "provider.apiKey", ct)).rejects.toThrow();
    await expect(env.decrypt(a, "sink.token", ct)).rejects.toThrow();
    const keys = await database.db.select().from(workspaceDataKeys);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.kekId).toBe(kek1.id);
    // Two encryptions: same data key, different nonces.
    expect(await env.encrypt(a, "provider.apiKey", canary)).not.toBe(ct);
    expect(Envelope.mask(canary)).toBe("sk-can…ef");
  });

  it("rotating the KEK rewraps every data key and old ciphertexts still decrypt", async () => {
    const before = new Envelope(database.db, { current: kek1, previous: [] });
    const ctA = await before.encrypt(a, "f", "alpha");
    const ctB = await before.encrypt(b, "f", "beta");
    const kek2 = new LocalKek(randomBytes(32));
    const during = new Envelope(database.db, { current: kek2, previous: [kek1] });
    expect(await during.decrypt(a, "f", ctA)).toBe("alpha");
    expect(await during.rewrapAll()).toBe(2);
    const after = new Envelope(database.db, { current: kek2, previous: [] });
    expect(await after.decrypt(a, "f", ctA)).toBe("alpha");
    expect(await after.decrypt(b, "f", ctB)).toBe("beta");
    const stale = new Envelope(database.db, { current: kek1, previous: [] });
    await expect(stale.decrypt(a, "f", ctA)).rejects.toThrow(/no key-encryption key/);
  });
});
