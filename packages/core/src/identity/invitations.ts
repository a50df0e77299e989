import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { accounts, invitations, workspaceMembers } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { sha256Hex } from "../crypto/keys.ts";
import { hashPassword, passwordProblem, verifyPassword } from "./passwords.ts";
import { createSession, type IssuedSession } from "./sessions.ts";

const gone = () => new AppError("not_found", "invitation not found or expired");

/**
 * Accepts an invitation link. A new person sets a name and password; someone who already has an
 * account proves it with their password. The token works once, before it expires.
 */
export async function acceptInvitation(
  ctx: Ctx,
  token: string,
  input: { name?: string | undefined; password: string },
): Promise<{ accountId: string; workspaceId: string; session: IssuedSession }> {
  const tokenHash = sha256Hex(token);
  const now = new Date();
  const [inv] = await ctx.db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.tokenHash, tokenHash),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, now),
      ),
    )
    .limit(1);
  if (!inv) throw gone();
  const [existing] = await ctx.db
    .select()
    .from(accounts)
    .where(sql`lower(${accounts.email}) = ${inv.email}`)
    .limit(1);
  let newHash: string | null = null;
  if (existing) {
    if (
      existing.status !== "active" ||
      !existing.passwordHash ||
      !(await verifyPassword(existing.passwordHash, input.password))
    ) {
      throw new AppError("invalid_credentials", "invalid email or password");
    }
  } else {
    if (!input.name) throw new AppError("validation_failed", "name is required to create your account");
    const problem = passwordProblem(input.password, inv.email);
    if (problem) throw new AppError("validation_failed", problem);
    newHash = await hashPassword(input.password);
  }
  return withTransaction(ctx, async (tx, txCtx) => {
    const claimed = await tx
      .update(invitations)
      .set({ acceptedAt: now })
      .where(and(eq(invitations.id, inv.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id });
    if (claimed.length === 0) throw gone();
    let accountId = existing?.id;
    if (!accountId) {
      const [created] = await tx
        .insert(accounts)
        .values({ email: inv.email, name: input.name!, passwordHash: newHash, passwordChangedAt: now })
        .returning({ id: accounts.id });
      accountId = created!.id;
    }
    const [already] = await tx
      .select({ id: workspaceMembers.id })
      .from(workspaceMembers)
      .where(
        and(eq(workspaceMembers.workspaceId, inv.workspaceId), eq(workspaceMembers.accountId, accountId)),
      )
      .limit(1);
    if (already) throw new AppError("conflict", "you are already a member of this workspace");
    const [member] = await tx
      .insert(workspaceMembers)
      .values({ workspaceId: inv.workspaceId, accountId, role: inv.role })
      .returning({ id: workspaceMembers.id });
    const memberCtx: Ctx = {
      ...txCtx,
      actor: { type: "user", accountId, sessionId: null, role: inv.role },
      workspace: { id: inv.workspaceId },
    };
    await emitAudit(tx, memberCtx, {
      action: "member.join",
      target: { type: "member", id: member!.id },
      details: { invitationId: inv.id, role: inv.role, newAccount: !existing },
    });
    const session = await createSession(tx, memberCtx, { accountId, workspaceId: inv.workspaceId });
    return { accountId, workspaceId: inv.workspaceId, session };
  });
}
