import { and, eq, sql } from "drizzle-orm";
import type { Role } from "@enclave/contracts";
import { accounts, invitations, workspaceMembers, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { randomToken, sha256Hex } from "../crypto/keys.ts";
import { identitySettingsOf, normalizeEmail, requireUser } from "./actor.ts";
import { revokeAccountSessions } from "./sessions.ts";
import { unlockAccount } from "./throttle.ts";

export interface MemberView {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
  status: "active" | "disabled";
  joinedAt: string;
  lastLoginAt: string | null;
}

/** Members of the current workspace (editors and up: plain members see no emails). */
export async function listMembers(ctx: Ctx): Promise<MemberView[]> {
  requirePermission(ctx, "member.read");
  const rows = await ctx.db
    .select({
      id: workspaceMembers.id,
      accountId: accounts.id,
      email: accounts.email,
      name: accounts.name,
      role: workspaceMembers.role,
      status: workspaceMembers.status,
      joinedAt: workspaceMembers.createdAt,
      lastLoginAt: accounts.lastLoginAt,
    })
    .from(workspaceMembers)
    .innerJoin(accounts, eq(accounts.id, workspaceMembers.accountId))
    .where(eq(workspaceMembers.workspaceId, ctx.workspace!.id))
    .orderBy(workspaceMembers.createdAt);
  return rows.map((r) => ({
    ...r,
    joinedAt: r.joinedAt.toISOString(),
    lastLoginAt: r.lastLoginAt?.toISOString() ?? null,
  }));
}

export interface CreatedInvitation {
  id: string;
  email: string;
  role: Role;
  expiresAt: string;
  /** The secret part of the link: returned once, stored only as a hash. */
  token: string;
}

/** Invites an email into the workspace with a role; returns the one-time token for the link. */
export async function inviteMember(
  ctx: Ctx,
  input: { email: string; role: Exclude<Role, "owner"> },
): Promise<CreatedInvitation> {
  requirePermission(ctx, "member.invite");
  const actor = requireUser(ctx);
  const email = normalizeEmail(input.email);
  const workspaceId = ctx.workspace!.id;
  const settings = identitySettingsOf(ctx);
  return withTransaction(ctx, async (tx, txCtx) => {
    const [existing] = await tx
      .select({ id: workspaceMembers.id })
      .from(workspaceMembers)
      .innerJoin(accounts, eq(accounts.id, workspaceMembers.accountId))
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), sql`lower(${accounts.email}) = ${email}`))
      .limit(1);
    if (existing) throw new AppError("conflict", "this person is already a member");
    const token = randomToken(32);
    const expiresAt = new Date(Date.now() + settings.invitationHours * 3600_000);
    const [inv] = await tx
      .insert(invitations)
      .values({
        workspaceId,
        email,
        role: input.role,
        tokenHash: sha256Hex(token),
        invitedBy: actor.accountId,
        expiresAt,
      })
      .returning({ id: invitations.id });
    await emitAudit(tx, txCtx, {
      action: "member.invite",
      target: { type: "invitation", id: inv!.id },
      details: { email, role: input.role },
    });
    return { id: inv!.id, email, role: input.role, expiresAt: expiresAt.toISOString(), token };
  });
}

async function loadMember(tx: Transaction, ctx: Ctx, memberId: string) {
  const [member] = await tx
    .select({ m: workspaceMembers, email: accounts.email })
    .from(workspaceMembers)
    .innerJoin(accounts, eq(accounts.id, workspaceMembers.accountId))
    .where(and(eq(workspaceMembers.id, memberId), eq(workspaceMembers.workspaceId, ctx.workspace!.id)))
    .limit(1);
  if (!member) throw new AppError("not_found", "member not found");
  return member;
}

/** Changes a member's role and/or disables / re-enables them. The owner is changed only by transfer. */
export async function updateMember(
  ctx: Ctx,
  memberId: string,
  input: { role?: Exclude<Role, "owner">; status?: "active" | "disabled" },
): Promise<MemberView> {
  requirePermission(ctx, "member.update_role");
  const actor = requireUser(ctx);
  await withTransaction(ctx, async (tx, txCtx) => {
    const { m } = await loadMember(tx, txCtx, memberId);
    if (m.role === "owner")
      throw new AppError("forbidden", "the owner's membership changes only by ownership transfer");
    if (m.accountId === actor.accountId)
      throw new AppError("forbidden", "you cannot change your own membership");
    await tx
      .update(workspaceMembers)
      .set({ ...(input.role ? { role: input.role } : {}), ...(input.status ? { status: input.status } : {}) })
      .where(eq(workspaceMembers.id, m.id));
    if (input.role && input.role !== m.role) {
      await emitAudit(tx, txCtx, {
        action: "member.update_role",
        target: { type: "member", id: m.id },
        details: { accountId: m.accountId, from: m.role, to: input.role },
      });
    }
    if (input.status && input.status !== m.status) {
      const revoked = input.status === "disabled" ? await revokeAccountSessions(tx, m.accountId) : 0;
      await emitAudit(tx, txCtx, {
        action: input.status === "disabled" ? "member.disable" : "member.enable",
        target: { type: "member", id: m.id },
        details: { accountId: m.accountId, revokedSessions: revoked },
      });
    }
  });
  const view = (await listMembersUnchecked(ctx)).find((v) => v.id === memberId);
  return view!;
}

async function listMembersUnchecked(ctx: Ctx): Promise<MemberView[]> {
  return listMembers({ ...ctx, actor: { type: "system", name: "members" } });
}

/** Removes a member from the workspace and ends all of their sessions at once. */
export async function removeMember(ctx: Ctx, memberId: string): Promise<void> {
  requirePermission(ctx, "member.remove");
  await withTransaction(ctx, async (tx, txCtx) => {
    const { m } = await loadMember(tx, txCtx, memberId);
    if (m.role === "owner") throw new AppError("forbidden", "the owner cannot be removed");
    await tx.delete(workspaceMembers).where(eq(workspaceMembers.id, m.id));
    const revoked = await revokeAccountSessions(tx, m.accountId);
    await emitAudit(tx, txCtx, {
      action: "member.remove",
      target: { type: "member", id: m.id },
      details: { accountId: m.accountId, role: m.role, revokedSessions: revoked },
    });
  });
}

/** Clears the sign-in lock of a member's account (every source IP). */
export async function unlockMember(ctx: Ctx, memberId: string): Promise<void> {
  requirePermission(ctx, "member.unlock");
  const member = await withTransaction(ctx, (tx, txCtx) => loadMember(tx, txCtx, memberId));
  await unlockAccount(ctx, { email: member.email });
}
