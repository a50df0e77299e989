import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { runDoctor } from "../src/cli/doctor.ts";
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
});
