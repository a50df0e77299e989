import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "uuidv7";
import { auditSinks, modelProviders, workspaceDataKeys, workspaces, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { credentialsField } from "../models/provider-config.ts";
import { auditSinkAuthField } from "../audit/sinks.ts";
import { Envelope } from "./envelope.ts";
import { LocalKek } from "./kek.ts";
import { rotateDataKeys } from "./reencrypt.ts";

describe.each(testDatabaseKinds())("data-key rotation and KEK rotation under load on %s", (kind) => {
  let database: DatabaseHandle;
  const oldKek = new LocalKek(randomBytes(32));
  const newKek = new LocalKek(randomBytes(32));
  const secrets = new Map<string, string>(); // provider id → plaintext
  let ws: string[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ws = (
      await database.db
        .insert(workspaces)
        .values([{ name: "A" }, { name: "B" }])
        .returning()
    ).map((w) => w.id);
    const envelope = new Envelope(database.db, { current: oldKek, previous: [] });
    for (const [i, workspaceId] of ws.entries()) {
      for (let j = 0; j < 5; j++) {
        const id = uuidv7();
        const plaintext = JSON.stringify({ apiKey: `sk-canary-${i}-${j}-${randomBytes(6).toString("hex")}` });
        secrets.set(id, plaintext);
        await database.db.insert(modelProviders).values({
          id,
          workspaceId,
          kind: "openai",
          name: `p${j}`,
          credentialsEnc: await envelope.encrypt(workspaceId, credentialsField(id), plaintext),
        });
      }
      const sinkId = uuidv7();
      await database.db.insert(auditSinks).values({
        id: sinkId,
        workspaceId,
        name: "siem",
        url: "https://siem.example/ingest",
        authorizationEnc: await envelope.encrypt(workspaceId, auditSinkAuthField(sinkId), "Bearer t0k3n"),
      });
    }
  });
  afterAll(() => database.close());

  it("rewraps under a new KEK and re-encrypts every field under new data keys while readers keep reading", async () => {
    // Readers and writers as a running server would have them: the new KEK current, the old one
    // still in the ring until the rotation finishes.
    const ring = { current: newKek, previous: [oldKek] };
    const server = new Envelope(database.db, ring);
    let stop = false;
    let reads = 0;
    const failures: unknown[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const rows = await database.db.select().from(modelProviders);
        for (const row of rows) {
          try {
            // A fresh envelope each time: no data-key cache hides an unwrap failure.
            const reader = Math.random() < 0.5 ? server : new Envelope(database.db, ring);
            const plaintext = await reader.decrypt(
              row.workspaceId,
              credentialsField(row.id),
              row.credentialsEnc,
            );
            expect(plaintext).toBe(secrets.get(row.id));
            reads++;
          } catch (err) {
            failures.push(err);
          }
        }
      }
    });
    const rewrapped = await server.rewrapAll();
    const rotation = await rotateDataKeys(database.db, server);
    stop = true;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(rewrapped).toBe(2);
    expect(rotation).toEqual({ workspaces: 2, reencrypted: 12 });
    // Everything now opens with the new KEK alone, and under each workspace's new data key.
    const only = new Envelope(database.db, { current: newKek, previous: [] });
    const keys = await database.db.select().from(workspaceDataKeys);
    const active = new Set(keys.filter((k) => k.status === "active").map((k) => k.id));
    expect(active.size).toBe(2);
    for (const row of await database.db.select().from(modelProviders)) {
      expect(active.has(row.credentialsEnc.split(".")[1]!)).toBe(true);
      expect(await only.decrypt(row.workspaceId, credentialsField(row.id), row.credentialsEnc)).toBe(
        secrets.get(row.id),
      );
    }
    for (const sink of await database.db.select().from(auditSinks)) {
      expect(active.has(sink.authorizationEnc!.split(".")[1]!)).toBe(true);
      expect(await only.decrypt(sink.workspaceId, auditSinkAuthField(sink.id), sink.authorizationEnc!)).toBe(
        "Bearer t0k3n",
      );
    }
    // The old data keys are retired, not gone: a ciphertext someone copied earlier still opens.
    expect(keys.filter((k) => k.status === "retired")).toHaveLength(2);
  });
});
