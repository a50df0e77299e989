import { and, eq } from "drizzle-orm";
import { accounts, workspaceMembers, workspaces } from "@enclave/db";
import type { Role } from "@enclave/contracts";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit, recordAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requireUser } from "./actor.ts";
import { hashPassword, passwordProblem, verifyPassword } from "./passwords.ts";
import { revokeAccountSessions } from "./sessions.ts";

export interface AccountView {
  id: string;
  email: string;
  name: string;
  mfaEnabled: boolean;
  workspace: { id: string; name: string; role: Role; mfaPolicy: "off" | "admins" | "all" } | null;
  /** True when the workspace policy demands MFA this account has not enrolled yet. */
  mfaEnrolmentRequired: boolean;
}

export function mfaRequiredFor(policy: "off" | "admins" | "all", role: Role | null): boolean {
  if (policy === "all") return true;
  return policy === "admins" && (role === "owner" || role === "admin");
}

/** The signed-in account and its current workspace. */
export async function getMyAccount(ctx: Ctx): Promise<AccountView> {
  const actor = requireUser(ctx);
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.id, actor.accountId)).limit(1);
  if (!account) throw new AppError("unauthorized", "authentication required");
  let workspace: AccountView["workspace"] = null;
  if (ctx.workspace) {
    const [row] = await ctx.db
      .select({
        id: workspaces.id,
        name: workspaces.name,
        role: workspaceMembers.role,
        mfaPolicy: workspaces.mfaPolicy,
      })
      .from(workspaces)
      .innerJoin(
        workspaceMembers,
        and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.accountId, account.id)),
      )
      .where(eq(workspaces.id, ctx.workspace.id))
      .limit(1);
    workspace = row ?? null;
  }
  const mfaEnabled = account.totpEnabledAt !== null;
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    mfaEnabled,
    workspace,
    mfaEnrolmentRequired:
      !mfaEnabled && workspace !== null && mfaRequiredFor(workspace.mfaPolicy, workspace.role),
  };
}

/** Changes the password (the current one is required) and signs out every other session. */
export async function changePassword(
  ctx: Ctx,
  input: { currentPassword: string; newPassword: string },
): Promise<{ revokedSessions: number }> {
  const actor = requireUser(ctx);
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.id, actor.accountId)).limit(1);
  if (!account?.passwordHash || !(await verifyPassword(account.passwordHash, input.currentPassword))) {
    await recordAudit(ctx, {
      action: "account.password.change",
      outcome: "failure",
      target: { type: "account", id: actor.accountId },
      details: { reason: "wrong_current_password" },
    });
    throw new AppError("invalid_credentials", "current password is incorrect");
  }
  const problem = passwordProblem(input.newPassword, account.email);
  if (problem) throw new AppError("validation_failed", problem);
  const passwordHash = await hashPassword(input.newPassword);
  return withTransaction(ctx, async (tx, txCtx) => {
    await tx
      .update(accounts)
      .set({ passwordHash, passwordChangedAt: new Date() })
      .where(eq(accounts.id, actor.accountId));
    const revokedSessions = await revokeAccountSessions(tx, actor.accountId, actor.sessionId);
    await emitAudit(tx, txCtx, {
      action: "account.password.change",
      target: { type: "account", id: actor.accountId },
      details: { revokedSessions },
    });
    return { revokedSessions };
  });
}
