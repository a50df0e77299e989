import { and, count, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { accounts, recoveryCodes, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { deriveKey } from "../crypto/keys.ts";
import { open, seal } from "../crypto/seal.ts";
import { identitySettingsOf, requireUser } from "./actor.ts";
import { generateTotpSecret, otpauthUri, verifyTotp } from "./totp.ts";
import { generateRecoveryCodes, hashRecoveryCode, recoveryCodeKey } from "./recovery-codes.ts";

// Nothing here logs or audits a secret, a TOTP code or a recovery code: only outcomes and counts.

/** Checks a password against its stored hash; `verifyPassword` from passwords.ts fits. */
export type VerifyPassword = (hash: string, password: string) => Promise<boolean>;

type Account = typeof accounts.$inferSelect;

const totpAad = (accountId: string) => `account:${accountId}:totp`;

/** Root secrets to try, newest first: after a SECRET_KEY rotation the old one still opens. */
function rootSecrets(ctx: Ctx): string[] {
  const settings = identitySettingsOf(ctx);
  return [settings.rootSecret, ...settings.previousRootSecrets];
}

function openTotpSecret(ctx: Ctx, sealed: string, aad: string): string {
  let lastError: unknown;
  for (const root of rootSecrets(ctx)) {
    try {
      return open(deriveKey(root, "totp"), sealed, aad);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function totpKey(ctx: Ctx): Buffer {
  return deriveKey(identitySettingsOf(ctx).rootSecret, "totp");
}

const accountTarget = (id: string) => ({ type: "account", id });

/** The acting user's account row, locked for the rest of the transaction. */
async function lockOwnAccount(tx: Transaction, accountId: string): Promise<Account> {
  const [account] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).for("update");
  if (!account) throw new AppError("unauthorized", "authentication required");
  return account;
}

async function unusedRecoveryCodes(db: Ctx["db"], accountId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.accountId, accountId), isNull(recoveryCodes.usedAt)));
  return row?.n ?? 0;
}

/** Starts enrolment: a new secret, returned once with its otpauth URI, stored sealed as pending. */
export async function startTotpEnrolment(ctx: Ctx): Promise<{ secret: string; otpauthUri: string }> {
  const actor = requireUser(ctx);
  const settings = identitySettingsOf(ctx);
  return withTransaction(ctx, async (tx, txCtx) => {
    const account = await lockOwnAccount(tx, actor.accountId);
    if (account.totpEnabledAt) {
      throw new AppError("conflict", "multi-factor authentication is already enabled");
    }
    const secret = generateTotpSecret();
    await tx
      .update(accounts)
      .set({ totpPendingSecretEnc: seal(totpKey(ctx), secret, totpAad(account.id)) })
      .where(eq(accounts.id, account.id));
    await emitAudit(tx, txCtx, { action: "mfa.totp.enrol_started", target: accountTarget(account.id) });
    return {
      secret,
      otpauthUri: otpauthUri({ issuer: settings.mfa.issuer, accountName: account.email, secret }),
    };
  });
}

/** Confirms enrolment with a first code; returns 10 new recovery codes, shown this once only. */
export async function confirmTotpEnrolment(ctx: Ctx, code: string): Promise<{ recoveryCodes: string[] }> {
  const actor = requireUser(ctx);
  const codes = await withTransaction(ctx, async (tx, txCtx) => {
    const account = await lockOwnAccount(tx, actor.accountId);
    if (account.totpEnabledAt) {
      throw new AppError("conflict", "multi-factor authentication is already enabled");
    }
    if (!account.totpPendingSecretEnc) throw new AppError("conflict", "start enrolment first");
    const secret = openTotpSecret(ctx, account.totpPendingSecretEnc, totpAad(account.id));
    const step = verifyTotp(secret, code.trim(), Date.now(), null);
    if (step === null) {
      // Returned, not thrown, so this failure's audit row commits.
      await emitAudit(tx, txCtx, {
        action: "mfa.totp.enabled",
        outcome: "failure",
        target: accountTarget(account.id),
        details: { reason: "invalid_code" },
      });
      return null;
    }
    const issued = generateRecoveryCodes();
    const key = recoveryCodeKey(identitySettingsOf(ctx).rootSecret);
    await tx
      .update(accounts)
      .set({
        totpSecretEnc: account.totpPendingSecretEnc,
        totpPendingSecretEnc: null,
        totpEnabledAt: new Date(),
        totpLastStep: step,
      })
      .where(eq(accounts.id, account.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, account.id));
    await tx
      .insert(recoveryCodes)
      .values(issued.map((c) => ({ accountId: account.id, codeHash: hashRecoveryCode(key, c) })));
    await emitAudit(tx, txCtx, {
      action: "mfa.totp.enabled",
      target: accountTarget(account.id),
      details: { codesIssued: issued.length },
    });
    return issued;
  });
  if (!codes) throw new AppError("validation_failed", "invalid code");
  return { recoveryCodes: codes };
}

/**
 * Turns MFA off; needs the current password and a current TOTP code. A recovery code is NOT
 * accepted here: whoever lost the device signs in with one and re-enrols, rather than using a
 * code (possibly stolen from paper) to strip the second factor altogether.
 */
export async function disableTotp(
  ctx: Ctx,
  input: { password: string; code: string },
  options: { verifyPassword: VerifyPassword },
): Promise<void> {
  const actor = requireUser(ctx);
  // The password hash is checked before taking the row lock: hashing is deliberately slow.
  const [current] = await ctx.db
    .select({ passwordHash: accounts.passwordHash })
    .from(accounts)
    .where(eq(accounts.id, actor.accountId))
    .limit(1);
  if (!current) throw new AppError("unauthorized", "authentication required");
  const passwordOk = current.passwordHash
    ? await options.verifyPassword(current.passwordHash, input.password)
    : false;

  const disabled = await withTransaction(ctx, async (tx, txCtx) => {
    const account = await lockOwnAccount(tx, actor.accountId);
    if (!account.totpEnabledAt || !account.totpSecretEnc) {
      throw new AppError("conflict", "multi-factor authentication is not enabled");
    }
    const secret = openTotpSecret(ctx, account.totpSecretEnc, totpAad(account.id));
    // Always checked, so a wrong password and a wrong code cost the same; a wrong password never
    // consumes the code (nothing is written unless both are right).
    const step = verifyTotp(secret, input.code.trim(), Date.now(), account.totpLastStep);
    if (!passwordOk || step === null) {
      await emitAudit(tx, txCtx, {
        action: "mfa.totp.disabled",
        outcome: "failure",
        target: accountTarget(account.id),
        details: { reason: passwordOk ? "invalid_code" : "invalid_password" },
      });
      return false;
    }
    await tx
      .update(accounts)
      .set({ totpSecretEnc: null, totpPendingSecretEnc: null, totpEnabledAt: null, totpLastStep: null })
      .where(eq(accounts.id, account.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, account.id));
    await emitAudit(tx, txCtx, { action: "mfa.totp.disabled", target: accountTarget(account.id) });
    return true;
  });
  // One message for both: the caller learns nothing about which of the two was wrong.
  if (!disabled) throw new AppError("invalid_credentials", "invalid password or code");
}

/**
 * Checks and consumes a second factor for `accountId` (login's MFA step, so no user actor is
 * required). Exactly one of `code` / `recoveryCode`; false on any mismatch, never saying which.
 */
export async function verifySecondFactor(
  ctx: Ctx,
  accountId: string,
  input: { code?: string; recoveryCode?: string },
): Promise<boolean> {
  const { code, recoveryCode } = input;
  if ((code === undefined) === (recoveryCode === undefined)) return false;
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
  if (!account?.totpEnabledAt || !account.totpSecretEnc) return false;
  if (code !== undefined) return consumeTotp(ctx, account, account.totpSecretEnc, code);
  if (recoveryCode !== undefined) return consumeRecoveryCode(ctx, account.id, recoveryCode);
  return false;
}

async function consumeTotp(ctx: Ctx, account: Account, sealed: string, code: string): Promise<boolean> {
  const secret = openTotpSecret(ctx, sealed, totpAad(account.id));
  const step = verifyTotp(secret, code.trim(), Date.now(), account.totpLastStep);
  if (step === null) return false;
  // The step is claimed by a conditional UPDATE: of two requests racing with one code, the second
  // finds totp_last_step already at `step` and matches no row. Pinning the ciphertext refuses a
  // code for a secret that was replaced (disable + re-enrol) since it was read.
  // Not audited: the caller records what the factor unlocked (login, ownership transfer).
  const claimed = await withTransaction(ctx, (tx) =>
    tx
      .update(accounts)
      .set({ totpLastStep: step })
      .where(
        and(
          eq(accounts.id, account.id),
          isNotNull(accounts.totpEnabledAt),
          eq(accounts.totpSecretEnc, sealed),
          or(isNull(accounts.totpLastStep), lt(accounts.totpLastStep, step)),
        ),
      )
      .returning({ id: accounts.id }),
  );
  return claimed.length === 1;
}

async function consumeRecoveryCode(ctx: Ctx, accountId: string, code: string): Promise<boolean> {
  const hashes = rootSecrets(ctx).map((root) => hashRecoveryCode(recoveryCodeKey(root), code));
  return withTransaction(ctx, async (tx, txCtx) => {
    const [match] = await tx
      .select({ id: recoveryCodes.id })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.accountId, accountId), inArray(recoveryCodes.codeHash, hashes)))
      .limit(1);
    if (!match) return false;
    // `used_at IS NULL` in the UPDATE, not a prior read, is what makes a code single-use under races.
    const used = await tx
      .update(recoveryCodes)
      .set({ usedAt: sql`now()` })
      .where(and(eq(recoveryCodes.id, match.id), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id });
    if (used.length !== 1) return false;
    await emitAudit(tx, txCtx, {
      action: "mfa.recovery_code.used",
      target: accountTarget(accountId),
      details: { remaining: await unusedRecoveryCodes(tx, accountId) },
    });
    return true;
  });
}

/** Whether the acting user has MFA on, and how many recovery codes they have left. */
export async function mfaStatus(ctx: Ctx): Promise<{ enabled: boolean; recoveryCodesRemaining: number }> {
  const actor = requireUser(ctx);
  const [account] = await ctx.db
    .select({ totpEnabledAt: accounts.totpEnabledAt })
    .from(accounts)
    .where(eq(accounts.id, actor.accountId))
    .limit(1);
  if (!account) throw new AppError("unauthorized", "authentication required");
  if (!account.totpEnabledAt) return { enabled: false, recoveryCodesRemaining: 0 };
  return { enabled: true, recoveryCodesRemaining: await unusedRecoveryCodes(ctx.db, actor.accountId) };
}
