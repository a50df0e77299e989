import { and, asc, eq } from "drizzle-orm";
import type { Role } from "@enclave/contracts";
import { accounts, sessions, workspaceMembers, workspaces } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { requireUser } from "./actor.ts";
import { verifyPassword } from "./passwords.ts";
import { verifySecondFactor } from "./mfa.ts";

export interface WorkspaceView {
  id: string;
  name: string;
  role: Role;
  current: boolean;
}

/** Workspaces the caller is an active member of. */
export async function listMyWorkspaces(ctx: Ctx): Promise<WorkspaceView[]> {
  const actor = requireUser(ctx);
  const rows = await ctx.db
    .select({ id: workspaces.id, name: workspaces.name, role: workspaceMembers.role })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(and(eq(workspaceMembers.accountId, actor.accountId), eq(workspaceMembers.status, "active")))
    .orderBy(asc(workspaceMembers.createdAt));
  return rows.map((r) => ({ ...r, current: r.id === ctx.workspace?.id }));
}

/** Creates a workspace owned by the caller. */
export async function createWorkspace(
  ctx: Ctx,
  input: { name: string },
): Promise<{ id: string; name: string }> {
  const actor = requireUser(ctx);
  return withTransaction(ctx, async (tx, txCtx) => {
    const [ws] = await tx
      .insert(workspaces)
      .values({ name: input.name })
      .returning({ id: workspaces.id, name: workspaces.name });
    await tx
      .insert(workspaceMembers)
      .values({ workspaceId: ws!.id, accountId: actor.accountId, role: "owner" });
    await emitAudit(
      tx,
      { ...txCtx, workspace: { id: ws!.id } },
      { action: "workspace.create", target: { type: "workspace", id: ws!.id } },
    );
    return ws!;
  });
}

/** Moves the caller's session to another workspace they belong to; any other id is "not found". */
export async function switchWorkspace(ctx: Ctx, workspaceId: string): Promise<void> {
  const actor = requireUser(ctx);
  await withTransaction(ctx, async (tx, txCtx) => {
    const [member] = await tx
      .select({ id: workspaceMembers.id })
      .from(workspaceMembers)
      .where(
        and(
          eq(workspaceMembers.workspaceId, workspaceId),
          eq(workspaceMembers.accountId, actor.accountId),
          eq(workspaceMembers.status, "active"),
        ),
      )
      .limit(1);
    if (!member) throw new AppError("not_found", "workspace not found");
    if (actor.sessionId)
      await tx.update(sessions).set({ workspaceId }).where(eq(sessions.id, actor.sessionId));
    await emitAudit(
      tx,
      { ...txCtx, workspace: { id: workspaceId } },
      {
        action: "workspace.switch",
        target: { type: "workspace", id: workspaceId },
        details: { from: ctx.workspace?.id ?? null },
      },
    );
  });
}

/** Renames the workspace or changes its MFA policy. */
export async function updateWorkspace(
  ctx: Ctx,
  input: { name?: string; mfaPolicy?: "off" | "admins" | "all" },
): Promise<{ id: string; name: string; mfaPolicy: string }> {
  requirePermission(ctx, "workspace.update");
  const workspaceId = ctx.workspace!.id;
  return withTransaction(ctx, async (tx, txCtx) => {
    const [before] = await tx.select().from(workspaces).where(eq(workspaces.id, workspaceId)).limit(1);
    if (!before) throw new AppError("not_found", "workspace not found");
    const [after] = await tx
      .update(workspaces)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.mfaPolicy ? { mfaPolicy: input.mfaPolicy } : {}),
      })
      .where(eq(workspaces.id, workspaceId))
      .returning({ id: workspaces.id, name: workspaces.name, mfaPolicy: workspaces.mfaPolicy });
    const order = { off: 0, admins: 1, all: 2 } as const;
    await emitAudit(tx, txCtx, {
      action: "workspace.update",
      target: { type: "workspace", id: workspaceId },
      details: {
        changed: Object.keys(input),
        ...(input.mfaPolicy ? { mfaPolicy: { from: before.mfaPolicy, to: input.mfaPolicy } } : {}),
        // Flag changes that weaken security, for the SIEM.
        weakensSecurity: input.mfaPolicy !== undefined && order[input.mfaPolicy] < order[before.mfaPolicy],
      },
    });
    return after!;
  });
}

/**
 * Hands ownership to another active member. Needs the owner's password, and a TOTP code when the
 * owner has MFA. The old owner becomes an admin.
 */
export async function transferOwnership(
  ctx: Ctx,
  input: { memberId: string; password: string; code?: string | undefined },
): Promise<void> {
  requirePermission(ctx, "workspace.transfer_ownership");
  const actor = requireUser(ctx);
  const workspaceId = ctx.workspace!.id;
  const [me] = await ctx.db.select().from(accounts).where(eq(accounts.id, actor.accountId)).limit(1);
  if (!me?.passwordHash || !(await verifyPassword(me.passwordHash, input.password))) {
    throw new AppError("invalid_credentials", "password is incorrect");
  }
  if (me.totpEnabledAt) {
    if (!input.code || !(await verifySecondFactor(ctx, me.id, { code: input.code }))) {
      throw new AppError("invalid_credentials", "a valid authenticator code is required");
    }
  }
  await withTransaction(ctx, async (tx, txCtx) => {
    const [target] = await tx
      .select()
      .from(workspaceMembers)
      .where(and(eq(workspaceMembers.id, input.memberId), eq(workspaceMembers.workspaceId, workspaceId)))
      .limit(1);
    if (!target) throw new AppError("not_found", "member not found");
    if (target.accountId === actor.accountId)
      throw new AppError("conflict", "you already own this workspace");
    if (target.status !== "active")
      throw new AppError("conflict", "ownership can only go to an active member");
    await tx
      .update(workspaceMembers)
      .set({ role: "admin" })
      .where(
        and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.accountId, actor.accountId)),
      );
    await tx.update(workspaceMembers).set({ role: "owner" }).where(eq(workspaceMembers.id, target.id));
    await emitAudit(tx, txCtx, {
      action: "workspace.transfer_ownership",
      target: { type: "member", id: target.id },
      details: { from: actor.accountId, to: target.accountId },
    });
  });
}
