import { and, count, eq, isNull, lt, or } from "drizzle-orm";
import { accounts, recoveryCodes } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { deriveKey } from "../crypto/keys.ts";
import { open, seal } from "../crypto/seal.ts";
import { identitySettingsOf, requireUser } from "./actor.ts";
import { generateTotpSecret, otpauthUri, verifyTotp } from "./totp.ts";
import { generateRecoveryCodes, hashRecoveryCode } from "./recovery-codes.ts";

const aad = (accountId: string) => `account:${accountId}:totp`;

function totpKey(ctx: Ctx): Buffer {
  return deriveKey(identitySettingsOf(ctx).rootSecret, "totp");
}

async function loadAccount(ctx: Ctx, accountId: string) {
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
  if (!account) throw new AppError("unauthorized", "authentication required");
  return account;
}

/** Starts enrolment: a new secret, shown once with its otpauth URI, kept sealed until confirmed. */
export async function startTotpEnrolment(ctx: Ctx): Promise<{ secret: string; otpauthUri: string }> {
  const actor = requireUser(ctx);
  const account = await loadAccount(ctx, actor.accountId);
  if (account.totpEnabledAt) throw new AppError("conflict", "multi-factor authentication is already enabled");
  const secret = generateTotpSecret();
  await withTransaction(ctx, async (tx, txCtx) => {
    await tx
      .update(accounts)
      .set({ totpPendingSecretEnc: seal(totpKey(ctx), secret, aad(account.id)) })
      .where(eq(accounts.id, account.id));
    await emitAudit(tx, txCtx, {
      action: "mfa.totp.enrol_started",
      target: { type: "account", id: account.id },
    });
  });
  const issuer = identitySettingsOf(ctx).mfa.issuer;
  return { secret, otpauthUri: otpauthUri({ issuer, accountName: account.email, secret }) };
}

/** Confirms enrolment with a first code; returns the 10 recovery codes (shown once). */
export async function confirmTotpEnrolment(ctx: Ctx, code: string): Promise<{ recoveryCodes: string[] }> {
  const actor = requireUser(ctx);
  const account = await loadAccount(ctx, actor.accountId);
  if (account.totpEnabledAt) throw new AppError("conflict", "multi-factor authentication is already enabled");
  if (!account.totpPendingSecretEnc) throw new AppError("conflict", "start enrolment first");
  const secret = open(totpKey(ctx), account.totpPendingSecretEnc, aad(account.id));
  const step = verifyTotp(secret, code, Date.now(), null);
  if (step === null) throw new AppError("validation_failed", "invalid code");
  const codes = generateRecoveryCodes();
  const root = identitySettingsOf(ctx).rootSecret;
  await withTransaction(ctx, async (tx, txCtx) => {
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
      .values(codes.map((c) => ({ accountId: account.id, codeHash: hashRecoveryCode(root, c) })));
    await emitAudit(tx, txCtx, { action: "mfa.totp.enabled", target: { type: "account", id: account.id } });
  });
  return { recoveryCodes: codes };
}

/**
 * Turns MFA off. Needs the password and a current TOTP code — not a recovery code: someone who
 * lost the device signs in with a recovery code and then re-enrols, they don't switch MFA off.
 */
export async function disableTotp(
  ctx: Ctx,
  input: { password: string; code: string },
  deps: { verifyPassword: (hash: string, password: string) => Promise<boolean> },
): Promise<void> {
  const actor = requireUser(ctx);
  const account = await loadAccount(ctx, actor.accountId);
  if (!account.totpEnabledAt) throw new AppError("conflict", "multi-factor authentication is not enabled");
  const passwordOk = account.passwordHash
    ? await deps.verifyPassword(account.passwordHash, input.password)
    : false;
  // Check the password first: a wrong password must not burn a valid code.
  const codeOk = passwordOk && (await verifySecondFactor(ctx, account.id, { code: input.code }));
  if (!codeOk) {
    await withTransaction(ctx, (tx, txCtx) =>
      emitAudit(tx, txCtx, {
        action: "mfa.totp.disable",
        outcome: "failure",
        target: { type: "account", id: account.id },
        details: { reason: passwordOk ? "invalid_code" : "invalid_password" },
      }),
    );
    throw new AppError("invalid_credentials", "invalid password or code");
  }
  await withTransaction(ctx, async (tx, txCtx) => {
    await tx
      .update(accounts)
      .set({ totpSecretEnc: null, totpPendingSecretEnc: null, totpEnabledAt: null, totpLastStep: null })
      .where(eq(accounts.id, account.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.accountId, account.id));
    await emitAudit(tx, txCtx, { action: "mfa.totp.disabled", target: { type: "account", id: account.id } });
  });
}

/**
 * Checks a second factor for `accountId` and consumes it: a TOTP step or a recovery code is
 * marked used by a conditional UPDATE, so two concurrent requests cannot both pass.
 */
export async function verifySecondFactor(
  ctx: Ctx,
  accountId: string,
  input: { code?: string; recoveryCode?: string },
): Promise<boolean> {
  const account = await loadAccount(ctx, accountId);
  if (!account.totpEnabledAt || !account.totpSecretEnc) return false;
  if (input.code !== undefined) {
    const secret = open(totpKey(ctx), account.totpSecretEnc, aad(account.id));
    const step = verifyTotp(secret, input.code.trim(), Date.now(), account.totpLastStep);
    if (step === null) return false;
    const claimed = await ctx.db
      .update(accounts)
      .set({ totpLastStep: step })
      .where(
        and(eq(accounts.id, account.id), or(isNull(accounts.totpLastStep), lt(accounts.totpLastStep, step))),
      )
      .returning({ id: accounts.id });
    return claimed.length === 1;
  }
  if (input.recoveryCode !== undefined) {
    const hash = hashRecoveryCode(identitySettingsOf(ctx).rootSecret, input.recoveryCode);
    return withTransaction(ctx, async (tx, txCtx) => {
      const used = await tx
        .update(recoveryCodes)
        .set({ usedAt: new Date() })
        .where(
          and(
            eq(recoveryCodes.accountId, account.id),
            eq(recoveryCodes.codeHash, hash),
            isNull(recoveryCodes.usedAt),
          ),
        )
        .returning({ id: recoveryCodes.id });
      if (used.length !== 1) return false;
      const [left] = await tx
        .select({ n: count() })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.accountId, account.id), isNull(recoveryCodes.usedAt)));
      await emitAudit(tx, txCtx, {
        action: "mfa.recovery_code.used",
        workspaceId: null,
        target: { type: "account", id: account.id },
        details: { remaining: left?.n ?? 0 },
      });
      return true;
    });
  }
  return false;
}

export async function mfaStatus(ctx: Ctx): Promise<{ enabled: boolean; recoveryCodesRemaining: number }> {
  const actor = requireUser(ctx);
  const account = await loadAccount(ctx, actor.accountId);
  const [left] = await ctx.db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.accountId, account.id), isNull(recoveryCodes.usedAt)));
  return {
    enabled: account.totpEnabledAt !== null,
    recoveryCodesRemaining: account.totpEnabledAt ? (left?.n ?? 0) : 0,
  };
}
