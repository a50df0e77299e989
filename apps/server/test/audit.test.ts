import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, gte, sql } from "drizzle-orm";
import pino from "pino";
import { auditChainHead, auditCheckpoints, auditEvents, migrateDatabase, openPglite } from "@enclave/db";
import {
  auditSettingsFromSecret,
  createCheckpoint,
  emitAudit,
  systemCtx,
  withTransaction,
} from "@enclave/core";
import { auditRows, createTestApp, TEST_SECRET_KEY, type TestApp } from "./helpers.ts";
import type { ConsoleClient } from "./console-client.ts";
import { addMember, setupOwner } from "./identity-world.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

describe("audit trail in the console", () => {
  let t: TestApp;
  let owner: ConsoleClient;
  let editor: ConsoleClient;
  beforeAll(async () => {
    t = await createTestApp();
    ({ owner } = await setupOwner(t));
    ({ client: editor } = await addMember(t, owner, "ed@example.com", "editor"));
  });
  afterAll(() => t.close());

  it("owners read and filter the workspace's events; editors cannot", async () => {
    const all = await owner.get("/console/api/audit/events?limit=100");
    expect(all.statusCode).toBe(200);
    const actions = (all.json() as { data: { action: string; seq: number }[] }).data.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["setup.complete", "member.invite", "member.join"]));
    const filtered = (await owner.get("/console/api/audit/events?action=member.invite")).json() as {
      data: { action: string }[];
    };
    expect(filtered.data.map((e) => e.action)).toEqual(["member.invite"]);
    expect((await editor.get("/console/api/audit/events")).statusCode).toBe(403);
    expect((await owner.get("/console/api/audit/events?limit=5000")).statusCode).toBe(400);
    expect((await owner.get("/console/api/audit/events?workspaceId=x")).statusCode).toBe(400);
  });

  it("exports JSON lines with the signed checkpoints, and the export is itself audited", async () => {
    await createCheckpoint(t.database.db, auditSettingsFromSecret(TEST_SECRET_KEY, "enclave.local/audit"));
    const res = await owner.get("/console/api/audit/export");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/x-ndjson/);
    const lines = res.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; note?: string });
    expect(lines.some((l) => l.type === "event")).toBe(true);
    expect(lines.find((l) => l.type === "checkpoint")?.note).toMatch(/^enclave\.local\/audit\n\d+\n/);
    const exports = await auditRows(t.database.db, eq(auditEvents.action, "audit.export"));
    expect(exports).toHaveLength(1);
  });

  it("runs a verification and reports the last result with the verifier key", async () => {
    const run = await owner.post("/console/api/audit/verification");
    expect(run.json()).toMatchObject({ ok: true, problems: [] });
    const last = (await owner.get("/console/api/audit/verification")).json() as Record<string, unknown>;
    expect(last).toMatchObject({
      lastVerification: { ok: true },
      verifierKey: expect.stringMatching(/^enclave\.local\/audit\+/),
    });
    expect((await editor.get("/console/api/audit/verification")).statusCode).toBe(403);
  });
});

describe("`enclave audit verify`", () => {
  it("passes on an intact log and names the first bad seq after tampering (exit 1)", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "enclave-audit-"));
    const env = { PATH: process.env.PATH, ENCLAVE_DATA_DIR: dataDir, SECRET_KEY: TEST_SECRET_KEY };
    const settings = auditSettingsFromSecret(TEST_SECRET_KEY, "enclave.local/audit");
    const db = await openPglite({ dataDir: join(dataDir, "pg") });
    await migrateDatabase(db);
    const ctx = systemCtx({ db: db.db, log: pino({ level: "silent" }), services: {} }, "test", "req");
    for (let i = 0; i < 12; i++)
      await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "test.event", details: { i } }));
    const shipped = join(dataDir, "checkpoint.txt");
    await writeFile(shipped, (await createCheckpoint(db.db, settings))!.note);
    await db.close();

    const verify = () =>
      spawnSync(
        process.execPath,
        ["apps/server/src/cli/main.ts", "audit", "verify", "--from-checkpoint", shipped],
        {
          cwd: repoRoot,
          env,
          encoding: "utf8",
          timeout: 30_000,
        },
      );
    const clean = verify();
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(
      /audit trail OK: 12 events, 1 signed checkpoint\(s\) verified, consistent with the external checkpoint at size 12/,
    );

    const attacker = await openPglite({ dataDir: join(dataDir, "pg") });
    await attacker.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.delete(auditEvents).where(gte(auditEvents.seq, 9));
      await tx.delete(auditCheckpoints);
      const [last] = await tx.select().from(auditEvents).where(eq(auditEvents.seq, 8));
      await tx.update(auditChainHead).set({ nextSeq: 9, lastHash: last!.leafHash });
    });
    await attacker.close();
    const tampered = verify();
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toContain("AUDIT TRAIL TAMPERED: first bad seq 9");
    expect(tampered.stdout).toContain("truncated");
  });
});

describe("permission denials", () => {
  it("are audit events naming the actor, route and permission", async () => {
    const t = await createTestApp();
    try {
      const { owner } = await setupOwner(t);
      const { client: member, accountId } = await addMember(t, owner, "m@example.com", "member");
      expect(
        (
          await member.post("/console/api/workspaces/current/members", {
            email: "z@example.com",
            role: "admin",
          })
        ).statusCode,
      ).toBe(403);
      expect((await member.post("/console/api/workspaces", { name: "x" }, { csrf: false })).statusCode).toBe(
        403,
      );
      const rows = await auditRows(t.database.db, eq(auditEvents.action, "auth.permission.denied"));
      expect(rows.map((r) => r.details)).toEqual([
        {
          code: "forbidden",
          method: "POST",
          route: "/console/api/workspaces/current/members",
          permission: "member.invite",
        },
        { code: "csrf_failed", method: "POST", route: "/console/api/workspaces", permission: "account.self" },
      ]);
      expect(rows[0]).toMatchObject({ actorType: "user", actorId: accountId, outcome: "denied" });
    } finally {
      await t.close();
    }
  });
});

describe("`enclave audit verify` against the file sink", () => {
  it("compares the database with the newest checkpoint shipped to AUDIT_SHIP_FILE_DIR", async () => {
    const { FileSink } = await import("../src/audit-sinks/file-sink.ts");
    const { shipBatch } = await import("@enclave/core");
    const dataDir = await mkdtemp(join(tmpdir(), "enclave-audit-ship-"));
    const shipDir = join(dataDir, "siem");
    const settings = auditSettingsFromSecret(TEST_SECRET_KEY, "enclave.local/audit");
    const db = await openPglite({ dataDir: join(dataDir, "pg") });
    await migrateDatabase(db);
    const ctx = systemCtx({ db: db.db, log: pino({ level: "silent" }), services: {} }, "test", "req");
    for (let i = 0; i < 6; i++)
      await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "test.event", details: { i } }));
    await createCheckpoint(db.db, settings);
    const sink = new FileSink(shipDir, 1_000_000);
    while ((await shipBatch(db.db, sink)) > 0);
    await sink.close();
    await db.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.delete(auditEvents).where(gte(auditEvents.seq, 4));
      await tx.delete(auditCheckpoints);
      const [last] = await tx.select().from(auditEvents).where(eq(auditEvents.seq, 3));
      await tx.update(auditChainHead).set({ nextSeq: 4, lastHash: last!.leafHash });
    });
    await db.close();
    const res = spawnSync(process.execPath, ["apps/server/src/cli/main.ts", "audit", "verify"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        ENCLAVE_DATA_DIR: dataDir,
        SECRET_KEY: TEST_SECRET_KEY,
        AUDIT_SHIP_FILE_DIR: shipDir,
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(res.stderr).toContain("comparing with the newest checkpoint shipped to");
    expect(res.status).toBe(1);
    expect(res.stdout).toContain("AUDIT TRAIL TAMPERED: first bad seq 4");
  });
});
