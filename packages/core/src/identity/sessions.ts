import { and, eq, gt, isNull, ne } from "drizzle-orm";
import type { Role } from "@enclave/contracts";
import { accounts, sessions, workspaceMembers, workspaces, type Transaction } from "@enclave/db";
import type { Actor, Ctx, WorkspaceRef } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { identitySettingsOf, requireUser } from "./actor.ts";
import { sessionKeyring, signToken, verifyToken } from "./session-tokens.ts";

const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface IssuedSession {
  sessionId: string;
  token: string;
  /** When the cookie should expire: the absolute end of the session. */
  expiresAt: Date;
}

/** Creates a server-side session row and the signed token that names it. Call inside a transaction. */
export async function createSession(
  tx: Transaction,
  ctx: Ctx,
  input: { accountId: string; workspaceId: string | null },
): Promise<IssuedSession> {
  const settings = identitySettingsOf(ctx);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + settings.session.absoluteHours * 3600_000);
  const [row] = await tx
    .insert(sessions)
    .values({
      accountId: input.accountId,
      workspaceId: input.workspaceId,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 512) ?? null,
      lastSeenAt: now,
      expiresAt,
    })
    .returning({ id: sessions.id });
  const token = await issueToken(ctx, row!.id, input.accountId, expiresAt);
  return { sessionId: row!.id, token, expiresAt };
}

async function issueToken(ctx: Ctx, sessionId: string, accountId: string, expiresAt: Date): Promise<string> {
  const settings = identitySettingsOf(ctx);
  const ttl = Math.min(
    settings.session.tokenMinutes * 60,
    Math.floor((expiresAt.getTime() - Date.now()) / 1000),
  );
  return signToken(
    sessionKeyring(settings.rootSecret, settings.previousRootSecrets),
    "session",
    { sid: sessionId, sub: accountId },
    Math.max(ttl, 1),
  );
}

export interface AuthenticatedSession {
  actor: Extract<Actor, { type: "user" }>;
  workspace: (WorkspaceRef & { mfaPolicy: "off" | "admins" | "all" }) | null;
  account: { id: string; email: string; name: string; mfaEnabled: boolean };
  /** A fresh token when the old one is past half its life (sliding within the absolute limit). */
  refreshedToken: string | null;
  expiresAt: Date;
}

/**
 * Resolves a session token to an actor. Null for a bad signature, unknown key id, expired token,
 * revoked / idle / expired session, or a disabled account: the caller answers 401.
 */
export async function authenticateSession(ctx: Ctx, token: string): Promise<AuthenticatedSession | null> {
  const settings = identitySettingsOf(ctx);
  const verified = await verifyToken(
    sessionKeyring(settings.rootSecret, settings.previousRootSecrets),
    "session",
    token,
  );
  if (!verified) return null;
  const now = new Date();
  const [row] = await ctx.db
    .select({
      session: sessions,
      account: {
        id: accounts.id,
        email: accounts.email,
        name: accounts.name,
        status: accounts.status,
        totpEnabledAt: accounts.totpEnabledAt,
      },
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(and(eq(sessions.id, verified.sid), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  if (!row || row.account.id !== verified.sub || row.account.status !== "active") return null;
  if (now.getTime() - row.session.lastSeenAt.getTime() > settings.session.idleMinutes * 60_000) return null;

  let role: Role | null = null;
  let workspace: AuthenticatedSession["workspace"] = null;
  if (row.session.workspaceId) {
    const [member] = await ctx.db
      .select({ role: workspaceMembers.role, mfaPolicy: workspaces.mfaPolicy })
      .from(workspaceMembers)
      .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
      .where(
        and(
          eq(workspaceMembers.workspaceId, row.session.workspaceId),
          eq(workspaceMembers.accountId, row.account.id),
          eq(workspaceMembers.status, "active"),
        ),
      )
      .limit(1);
    if (!member) return null;
    role = member.role;
    workspace = { id: row.session.workspaceId, mfaPolicy: member.mfaPolicy };
  }

  if (now.getTime() - row.session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await ctx.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, row.session.id));
  }
  const halfLife = (settings.session.tokenMinutes * 60) / 2;
  const refreshedToken =
    verified.exp - Math.floor(now.getTime() / 1000) < halfLife
      ? await issueToken(ctx, row.session.id, row.account.id, row.session.expiresAt)
      : null;
  return {
    actor: { type: "user", accountId: row.account.id, sessionId: row.session.id, role },
    workspace,
    account: {
      id: row.account.id,
      email: row.account.email,
      name: row.account.name,
      mfaEnabled: row.account.totpEnabledAt !== null,
    },
    refreshedToken,
    expiresAt: row.session.expiresAt,
  };
}

/** Revokes every live session of an account, optionally keeping one (the caller's). */
export async function revokeAccountSessions(
  tx: Transaction,
  accountId: string,
  exceptSessionId?: string | null,
): Promise<number> {
  const conditions = [eq(sessions.accountId, accountId), isNull(sessions.revokedAt)];
  if (exceptSessionId) conditions.push(ne(sessions.id, exceptSessionId));
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(...conditions))
    .returning({ id: sessions.id });
  return revoked.length;
}

export interface SessionView {
  id: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** The caller's own live sessions. */
export async function listMySessions(ctx: Ctx): Promise<SessionView[]> {
  const actor = requireUser(ctx);
  const rows = await ctx.db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.accountId, actor.accountId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
      ),
    )
    .orderBy(sessions.createdAt);
  return rows.map((s) => ({
    id: s.id,
    current: s.id === actor.sessionId,
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: s.createdAt.toISOString(),
    lastSeenAt: s.lastSeenAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
  }));
}

/** Revokes one of the caller's sessions; someone else's id is "not found". */
export async function revokeMySession(ctx: Ctx, sessionId: string): Promise<void> {
  const actor = requireUser(ctx);
  await withTransaction(ctx, async (tx, txCtx) => {
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(sessions.id, sessionId), eq(sessions.accountId, actor.accountId), isNull(sessions.revokedAt)),
      )
      .returning({ id: sessions.id });
    if (revoked.length === 0) throw new AppError("not_found", "session not found");
    await emitAudit(tx, txCtx, { action: "auth.session.revoke", target: { type: "session", id: sessionId } });
  });
}

/** "Log out other sessions". */
export async function revokeMyOtherSessions(ctx: Ctx): Promise<{ revoked: number }> {
  const actor = requireUser(ctx);
  return withTransaction(ctx, async (tx, txCtx) => {
    const revoked = await revokeAccountSessions(tx, actor.accountId, actor.sessionId);
    await emitAudit(tx, txCtx, {
      action: "auth.session.revoke_others",
      target: { type: "account", id: actor.accountId },
      details: { revoked },
    });
    return { revoked };
  });
}

export async function logout(ctx: Ctx): Promise<void> {
  const actor = requireUser(ctx);
  if (!actor.sessionId) return;
  await withTransaction(ctx, async (tx, txCtx) => {
    await tx.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, actor.sessionId!));
    await emitAudit(tx, txCtx, { action: "auth.logout", target: { type: "session", id: actor.sessionId! } });
  });
}
