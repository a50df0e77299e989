import { timingSafeEqual } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { accounts, systemState, workspaceMembers, workspaces, type Database } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { randomToken, sha256Hex } from "../crypto/keys.ts";
import { hashPassword, passwordProblem } from "./passwords.ts";
import { createSession, type IssuedSession } from "./sessions.ts";
import { normalizeEmail } from "./actor.ts";

const SETUP_KEY = "setup_token";

/** True once a workspace has an owner: from then on setup no longer exists. */
export async function isSetupComplete(db: Pick<Database, "select">): Promise<boolean> {
  const [owner] = await db
    .select({ id: workspaceMembers.id })
    .from(workspaceMembers)
    .where(eq(workspaceMembers.role, "owner"))
    .limit(1);
  return owner !== undefined;
}

/**
 * Issues a fresh one-time setup token if nobody owns anything yet, storing only its hash. Returns
 * the token (for the operator's console) or null when setup is already done. Each start issues a
 * new one, so a token seen in an old log or file is useless after a restart.
 */
export async function issueSetupToken(db: Database): Promise<string | null> {
  if (await isSetupComplete(db)) return null;
  const token = randomToken(32);
  const value = { hash: sha256Hex(token), issuedAt: new Date().toISOString() };
  await db
    .insert(systemState)
    .values({ key: SETUP_KEY, value })
    .onConflictDoUpdate({ target: systemState.key, set: { value, updatedAt: new Date() } });
  return token;
}

export interface SetupInput {
  token: string;
  email: string;
  password: string;
  name: string;
  workspaceName: string;
}

/** Creates the first workspace and its owner, consumes the setup token, and signs the owner in. */
export async function completeSetup(
  ctx: Ctx,
  input: SetupInput,
): Promise<{ accountId: string; workspaceId: string; session: IssuedSession }> {
  const email = normalizeEmail(input.email);
  const problem = passwordProblem(input.password, email);
  // Hash outside the transaction: it is the slow part and holds no lock.
  const passwordHash = problem ? null : await hashPassword(input.password);
  return withTransaction(ctx, async (tx, txCtx) => {
    // Serialise concurrent setup attempts: only one can create the first owner.
    await tx.execute(sql`select pg_advisory_xact_lock(${0x656e6331})`);
    if (await isSetupComplete(tx)) throw new AppError("not_found", "route not found");
    const [row] = await tx.select().from(systemState).where(eq(systemState.key, SETUP_KEY)).limit(1);
    const expected = typeof row?.value.hash === "string" ? Buffer.from(row.value.hash, "hex") : null;
    const given = Buffer.from(sha256Hex(input.token), "hex");
    if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new AppError("forbidden", "invalid setup token");
    }
    if (problem || !passwordHash) throw new AppError("validation_failed", problem ?? "invalid password");

    const [account] = await tx
      .insert(accounts)
      .values({ email, name: input.name, passwordHash, passwordChangedAt: new Date() })
      .returning({ id: accounts.id });
    const [workspace] = await tx
      .insert(workspaces)
      .values({ name: input.workspaceName })
      .returning({ id: workspaces.id });
    await tx
      .insert(workspaceMembers)
      .values({ workspaceId: workspace!.id, accountId: account!.id, role: "owner" });
    await tx.delete(systemState).where(eq(systemState.key, SETUP_KEY));
    const ownerCtx: Ctx = {
      ...txCtx,
      actor: { type: "user", accountId: account!.id, sessionId: null, role: "owner" },
      workspace: { id: workspace!.id },
    };
    await emitAudit(tx, ownerCtx, {
      action: "setup.complete",
      target: { type: "workspace", id: workspace!.id },
      details: { email },
    });
    const session = await createSession(tx, ownerCtx, { accountId: account!.id, workspaceId: workspace!.id });
    await emitAudit(tx, ownerCtx, {
      action: "auth.login.success",
      target: { type: "account", id: account!.id },
      details: { method: "setup" },
    });
    return { accountId: account!.id, workspaceId: workspace!.id, session };
  });
}
