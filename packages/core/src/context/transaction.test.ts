import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents, workspaces, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { withTransaction, inTransaction } from "./transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { auditRows, testCtx } from "../../test/ctx.ts";
import type { Ctx } from "./ctx.ts";

// A verb in the house style: write, audit, in one transaction.
async function renameWorkspace(ctx: Ctx, id: string, name: string): Promise<void> {
  await withTransaction(ctx, async (tx, txCtx) => {
    await tx.update(workspaces).set({ name }).where(eq(workspaces.id, id));
    await emitAudit(tx, txCtx, {
      action: "workspace.rename",
      target: { type: "workspace", id },
      details: { name },
    });
  });
}

describe.each(testDatabaseKinds())("withTransaction and emitAudit on %s", (kind) => {
  let database: DatabaseHandle;
  let ctx: Ctx;
  let workspaceId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ctx = testCtx(database);
    const [ws] = await database.db.insert(workspaces).values({ name: "Acme" }).returning();
    workspaceId = ws!.id;
    ctx = { ...ctx, workspace: { id: workspaceId } };
  });
  afterAll(() => database.close());

  it("commits the write and its audit event together", async () => {
    await renameWorkspace(ctx, workspaceId, "Acme 2");
    const [ws] = await database.db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
    expect(ws?.name).toBe("Acme 2");
    const events = await auditRows(database.db, eq(auditEvents.action, "workspace.rename"));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      workspaceId,
      actorType: "system",
      actorId: "test",
      ip: "192.0.2.1",
      userAgent: "vitest",
      targetType: "workspace",
      targetId: workspaceId,
      outcome: "success",
      requestId: "req-test",
      details: { name: "Acme 2" },
    });
  });

  it("a nested verb joins the outer transaction: a later failure rolls back both write and audit", async () => {
    await expect(
      withTransaction(ctx, async (_tx, txCtx) => {
        expect(inTransaction(txCtx)).toBe(true);
        await renameWorkspace(txCtx, workspaceId, "Rolled back");
        throw new AppError("conflict", "changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const [ws] = await database.db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
    expect(ws?.name).toBe("Acme 2");
    expect(await auditRows(database.db, eq(auditEvents.action, "workspace.rename"))).toHaveLength(1);
  });

  it("if the audit row cannot be written, the action does not happen", async () => {
    await expect(
      withTransaction(ctx, async (tx, txCtx) => {
        await tx.update(workspaces).set({ name: "Unaudited" }).where(eq(workspaces.id, workspaceId));
        // An outcome the table's check constraint refuses: the audit insert fails.
        await emitAudit(tx, txCtx, { action: "workspace.rename", outcome: "maybe" as "success" });
      }),
    ).rejects.toThrow();
    const [ws] = await database.db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
    expect(ws?.name).toBe("Acme 2");
  });

  it("never writes secret-looking detail fields", async () => {
    await withTransaction(ctx, (tx, txCtx) =>
      emitAudit(tx, txCtx, {
        action: "provider.update",
        details: { provider: "openai", apiKey: "sk-canary", nested: { password: "pw-canary" } },
      }),
    );
    const [event] = await auditRows(database.db, eq(auditEvents.action, "provider.update"));
    expect(event?.details).toEqual({
      provider: "openai",
      apiKey: "[REDACTED]",
      nested: { password: "[REDACTED]" },
    });
  });
});
