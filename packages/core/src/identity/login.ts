import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import { accounts, loginChallenges, sessions, workspaceMembers } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { identitySettingsOf, normalizeEmail } from "./actor.ts";
import { verifyDummyPassword, verifyPassword } from "./passwords.ts";
import { createSession, type IssuedSession } from "./sessions.ts";
import { sessionKeyring, signToken, verifyToken } from "./session-tokens.ts";
import { checkLoginAllowed, recordLoginFailure, recordLoginSuccess } from "./throttle.ts";
import { verifySecondFactor } from "./mfa.ts";

const MAX_MFA_ATTEMPTS = 5;

/** The one answer for every failed login: wrong password, unknown email, locked, disabled. */
export function invalidCredentials(): AppError {
  return new AppError("invalid_credentials", "invalid email or password");
}

export type LoginResult =
  | { kind: "session"; session: IssuedSession; accountId: string }
  | { kind: "mfa"; challengeToken: string; expiresAt: Date };

/**
 * First login step. Every failure path does the same work (a password hash check) and throws the
 * same error, so neither timing nor body tells an unknown email, a wrong password or a lock apart.
 */
export async function login(ctx: Ctx, input: { email: string; password: string }): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  const ip = ctx.ip ?? "unknown";
  // Attempts for one email from one IP run one at a time (a transaction-scoped advisory lock held
  // across the password check), so parallel guesses cannot all pass the lock check before the
  // first failure is counted. Other IPs, and the real user's, are not held up.
  const outcome = await withTransaction(ctx, async (tx, txCtx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`login:${email}:${ip}`}))`);
    const { allowed } = await checkLoginAllowed(txCtx, { email, ip });
    const [account] = await tx
      .select({
        id: accounts.id,
        passwordHash: accounts.passwordHash,
        status: accounts.status,
        totpEnabledAt: accounts.totpEnabledAt,
      })
      .from(accounts)
      .where(sql`lower(${accounts.email}) = ${email}`)
      .limit(1);
    const passwordOk = account?.passwordHash
      ? await verifyPassword(account.passwordHash, input.password)
      : await verifyDummyPassword(input.password);

    if (!allowed) {
      await emitAudit(tx, txCtx, {
        action: "auth.login.blocked",
        outcome: "denied",
        workspaceId: null,
        ...(account ? { target: { type: "account", id: account.id } } : {}),
        details: { reason: "locked", ip },
      });
      return null;
    }
    if (!account || !passwordOk || account.status !== "active") {
      await recordLoginFailure(txCtx, { email, ip, accountId: account?.id ?? null });
      return null;
    }
    const workspaceId = await defaultWorkspace(txCtx, account.id);
    if (!workspaceId) {
      await recordLoginFailure(txCtx, { email, ip, accountId: account.id });
      return null;
    }
    await recordLoginSuccess(txCtx, { email, ip });
    return { account, workspaceId };
  });
  // Thrown after COMMIT, so the failure count and its audit events persist.
  if (!outcome) throw invalidCredentials();
  const { account, workspaceId } = outcome;

  const settings = identitySettingsOf(ctx);
  if (account.totpEnabledAt) {
    const expiresAt = new Date(Date.now() + settings.mfa.challengeMinutes * 60_000);
    return withTransaction(ctx, async (tx, txCtx) => {
      const [challenge] = await tx
        .insert(loginChallenges)
        .values({
          accountId: account.id,
          ip: ctx.ip,
          userAgent: ctx.userAgent?.slice(0, 512) ?? null,
          expiresAt,
        })
        .returning({ id: loginChallenges.id });
      await emitAudit(tx, txCtx, {
        action: "auth.login.password_ok",
        workspaceId: null,
        target: { type: "account", id: account.id },
        details: { next: "mfa", ip },
      });
      const challengeToken = await signToken(
        sessionKeyring(settings.rootSecret, settings.previousRootSecrets),
        "mfa",
        { sid: challenge!.id, sub: account.id },
        settings.mfa.challengeMinutes * 60,
      );
      return { kind: "mfa" as const, challengeToken, expiresAt };
    });
  }
  return withTransaction(ctx, async (tx, txCtx) => {
    const session = await finishLogin(tx, txCtx, account.id, workspaceId, "password");
    return { kind: "session" as const, session, accountId: account.id };
  });
}

/** Second login step: a TOTP code or a recovery code against the pending challenge. */
export async function loginWithSecondFactor(
  ctx: Ctx,
  input: { challengeToken: string; code?: string; recoveryCode?: string },
): Promise<{ session: IssuedSession; accountId: string }> {
  const settings = identitySettingsOf(ctx);
  const verified = await verifyToken(
    sessionKeyring(settings.rootSecret, settings.previousRootSecrets),
    "mfa",
    input.challengeToken,
  );
  if (!verified) throw new AppError("unauthorized", "the sign-in attempt expired: start again");
  const now = new Date();
  const [challenge] = await ctx.db
    .select()
    .from(loginChallenges)
    .where(
      and(
        eq(loginChallenges.id, verified.sid),
        eq(loginChallenges.accountId, verified.sub),
        isNull(loginChallenges.consumedAt),
        gt(loginChallenges.expiresAt, now),
      ),
    )
    .limit(1);
  if (!challenge || challenge.failedAttempts >= MAX_MFA_ATTEMPTS) {
    throw new AppError("unauthorized", "the sign-in attempt expired: start again");
  }
  const ok = await verifySecondFactor(ctx, challenge.accountId, {
    ...(input.code !== undefined ? { code: input.code } : {}),
    ...(input.recoveryCode !== undefined ? { recoveryCode: input.recoveryCode } : {}),
  });
  if (!ok) {
    await withTransaction(ctx, async (tx, txCtx) => {
      await tx
        .update(loginChallenges)
        .set({ failedAttempts: sql`${loginChallenges.failedAttempts} + 1` })
        .where(eq(loginChallenges.id, challenge.id));
      await emitAudit(tx, txCtx, {
        action: "auth.mfa.failure",
        outcome: "failure",
        workspaceId: null,
        target: { type: "account", id: challenge.accountId },
        details: { method: input.recoveryCode !== undefined ? "recovery_code" : "totp", ip: ctx.ip },
      });
    });
    throw new AppError("invalid_credentials", "invalid code");
  }
  const workspaceId = await defaultWorkspace(ctx, challenge.accountId);
  if (!workspaceId) throw invalidCredentials();
  return withTransaction(ctx, async (tx, txCtx) => {
    const consumed = await tx
      .update(loginChallenges)
      .set({ consumedAt: now })
      .where(and(eq(loginChallenges.id, challenge.id), isNull(loginChallenges.consumedAt)))
      .returning({ id: loginChallenges.id });
    if (consumed.length === 0) throw new AppError("unauthorized", "the sign-in attempt expired: start again");
    const method = input.recoveryCode !== undefined ? "recovery_code" : "totp";
    const session = await finishLogin(tx, txCtx, challenge.accountId, workspaceId, method);
    return { session, accountId: challenge.accountId };
  });
}

async function finishLogin(
  tx: Parameters<typeof createSession>[0],
  ctx: Ctx,
  accountId: string,
  workspaceId: string,
  method: string,
): Promise<IssuedSession> {
  const session = await createSession(tx, ctx, { accountId, workspaceId });
  await tx.update(accounts).set({ lastLoginAt: new Date() }).where(eq(accounts.id, accountId));
  await emitAudit(
    tx,
    { ...ctx, actor: { type: "user", accountId, sessionId: session.sessionId, role: null } },
    {
      action: "auth.login.success",
      workspaceId,
      target: { type: "account", id: accountId },
      details: { method, ip: ctx.ip },
    },
  );
  return session;
}

/** The workspace a new session opens in: the one used last, else the oldest active membership. */
async function defaultWorkspace(ctx: Ctx, accountId: string): Promise<string | null> {
  const [last] = await ctx.db
    .select({ workspaceId: sessions.workspaceId })
    .from(sessions)
    .innerJoin(
      workspaceMembers,
      and(eq(workspaceMembers.workspaceId, sessions.workspaceId), eq(workspaceMembers.accountId, accountId)),
    )
    .where(and(eq(sessions.accountId, accountId), eq(workspaceMembers.status, "active")))
    .orderBy(sql`${sessions.createdAt} desc`)
    .limit(1);
  if (last?.workspaceId) return last.workspaceId;
  const [first] = await ctx.db
    .select({ workspaceId: workspaceMembers.workspaceId })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.accountId, accountId), eq(workspaceMembers.status, "active")))
    .orderBy(asc(workspaceMembers.createdAt))
    .limit(1);
  return first?.workspaceId ?? null;
}
