import { describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { auditEvents } from "@enclave/db";
import { emitAudit, systemCtx, withTransaction } from "@enclave/core";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { runDoctor, type Finding } from "../src/cli/doctor.ts";
import { testConfig } from "./helpers.ts";

describe.each(testDatabaseKinds())("enclave doctor on %s", (kind) => {
  it("passes a sound deployment, and flags a disabled audit trigger and weak settings", async () => {
    const database = await createTestDatabase(kind);
    try {
      const sound = await runDoctor(testConfig({ AUDIT_SHIP_FILE_DIR: "/tmp/enclave-siem" }), database);
      expect(sound.filter((f) => f.level === "error")).toEqual([]);
      expect(sound).toContainEqual({
        level: "ok",
        check: "audit.worm",
        message: "append-only triggers are in place",
      });
      if (kind === "postgres") {
        // The test connection is a superuser: exactly what doctor must point out.
        expect(sound).toContainEqual(expect.objectContaining({ level: "warn", check: "database.role" }));
      }

      await database.db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
      const weak = await runDoctor(testConfig({ HOST: "0.0.0.0", SECRET_KEY_PREVIOUS: "old-key" }), database);
      expect(weak).toContainEqual({
        level: "error",
        check: "audit.worm",
        message: "trigger audit_events_no_update_delete is disabled",
      });
      expect(weak.map((f) => f.check)).toEqual(
        expect.arrayContaining(["network", "secrets", "audit.shipping"]),
      );
    } finally {
      await database.close();
    }
  });

  it("with --verify, proves an intact trail and names the first bad seq once a row is modified", async () => {
    const database = await createTestDatabase(kind);
    try {
      const ctx = systemCtx({ db: database.db, log: pino({ level: "silent" }), services: {} }, "test", "req");
      for (let i = 0; i < 5; i++)
        await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "test.event", details: { i } }));
      const verified = (f: Finding[]) => f.find((x) => x.check === "audit.verify");
      expect(verified(await runDoctor(testConfig(), database))).toBeUndefined();
      expect(verified(await runDoctor(testConfig(), database, { verify: true }))).toMatchObject({
        level: "ok",
        message: expect.stringMatching(/^5 events and 0 signed checkpoint\(s\) verified/),
      });

      // An attacker with database access, ordinary triggers off for this transaction only.
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx
          .update(auditEvents)
          .set({ details: { i: 99 } })
          .where(eq(auditEvents.seq, 3));
      });
      expect(verified(await runDoctor(testConfig(), database, { verify: true }))).toMatchObject({
        level: "error",
        message: expect.stringMatching(/first bad seq 3 \(modified:/),
      });
    } finally {
      await database.close();
    }
  });
});
