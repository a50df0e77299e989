import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { accounts, auditEvents, recoveryCodes, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { auditRows, testCtx } from "../../test/ctx.ts";
import type { Ctx } from "../context/ctx.ts";
import { deriveKey } from "../crypto/keys.ts";
import { open } from "../crypto/seal.ts";
import { defaultIdentitySettings } from "./settings.ts";
import {
  confirmTotpEnrolment,
  disableTotp,
  mfaStatus,
  startTotpEnrolment,
  verifySecondFactor,
} from "./mfa.ts";
import { totpCode, totpStep } from "./totp.ts";
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  recoveryCodeKey,
} from "./recovery-codes.ts";

const ROOT = "q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy";
const settings = defaultIdentitySettings(ROOT);
const PASSWORD = "correct horse battery staple";
const verifyPassword = async (hash: string, password: string) => hash === "x" && password === PASSWORD;

describe("recovery codes", () => {
  it("ten distinct codes of 50 bits, xxxxx-xxxxx from an unambiguous lower-case alphabet", () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    // 32 symbols (no i, l, o, u) × 10 positions = 2^50.
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  });

  it("normalises case, dashes and whitespace; hashes under a key derived from the root secret", () => {
    const forms = ["ABCDE-fghij ", " abcde fghij", "abcdefghij", "\tab-CD e\u00a0fg\u2013hij\n"];
    for (const f of forms) expect(normalizeRecoveryCode(f)).toBe("abcdefghij");
    const key = recoveryCodeKey(ROOT);
    expect(hashRecoveryCode(key, "ABCDE-FGHIJ")).toBe(hashRecoveryCode(key, "abcdefghij"));
    expect(hashRecoveryCode(key, "abcdefghij")).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode(recoveryCodeKey(`${ROOT}x`), "abcdefghij")).not.toBe(
      hashRecoveryCode(key, "abcdefghij"),
    );
  });
});

describe.each(testDatabaseKinds())("TOTP multi-factor authentication on %s", (kind) => {
  let database: DatabaseHandle;
  let anonymous: Ctx;
  // Date.now() is pinned so a test never straddles a 30 s step boundary; `clock` moves it.
  let clock = 0;
  const step = () => totpStep(clock);
  let n = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    anonymous = testCtx(database, { services: { identity: settings }, actor: { type: "anonymous" } });
  });
  afterAll(() => database.close());
  beforeEach(() => {
    clock = Math.floor(Date.now() / 30_000) * 30_000 + 5_000;
    vi.spyOn(Date, "now").mockImplementation(() => clock);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function newUser(): Promise<{ ctx: Ctx; accountId: string; email: string }> {
    const email = `user${++n}@example.com`;
    const [a] = await database.db
      .insert(accounts)
      .values({ email, name: "User", passwordHash: "x" })
      .returning();
    const ctx = testCtx(database, {
      services: { identity: settings },
      actor: { type: "user", accountId: a!.id, sessionId: null, role: "owner" },
    });
    return { ctx, accountId: a!.id, email };
  }

  async function enrolled() {
    const user = await newUser();
    const { secret } = await startTotpEnrolment(user.ctx);
    const { recoveryCodes: codes } = await confirmTotpEnrolment(user.ctx, totpCode(secret, step()));
    return { ...user, secret, codes };
  }

  /** A well-formed code that matches none of the steps in the window around now. */
  function wrongCode(secret: string): string {
    const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, step() + d)));
    for (let i = 0; ; i++) {
      const candidate = String(i).padStart(6, "0");
      if (!valid.has(candidate)) return candidate;
    }
  }

  const accountRow = async (id: string) =>
    (await database.db.select().from(accounts).where(eq(accounts.id, id)))[0]!;
  const auditFor = (id: string) => auditRows(database.db, eq(auditEvents.targetId, id));

  it("enrols: the secret is sealed at rest, a current code confirms it, 10 recovery codes once", async () => {
    const { ctx, accountId, email } = await newUser();
    expect(await mfaStatus(ctx)).toEqual({ enabled: false, recoveryCodesRemaining: 0 });
    const { secret, otpauthUri } = await startTotpEnrolment(ctx);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toBe(
      `otpauth://totp/Enclave:${encodeURIComponent(email)}?secret=${secret}&issuer=Enclave` +
        "&algorithm=SHA1&digits=6&period=30",
    );
    const pending = await accountRow(accountId);
    expect(pending.totpPendingSecretEnc).toMatch(/^v1\./);
    expect(pending.totpPendingSecretEnc).not.toContain(secret);
    expect(pending.totpEnabledAt).toBeNull();
    expect(await mfaStatus(ctx)).toEqual({ enabled: false, recoveryCodesRemaining: 0 });

    const { recoveryCodes: codes } = await confirmTotpEnrolment(ctx, totpCode(secret, step()));
    expect(codes).toHaveLength(10);
    const row = await accountRow(accountId);
    expect(row.totpSecretEnc).toBe(pending.totpPendingSecretEnc);
    expect(row.totpSecretEnc).not.toContain(secret);
    expect(row.totpPendingSecretEnc).toBeNull();
    expect(row.totpEnabledAt).toBeInstanceOf(Date);
    expect(row.totpLastStep).toBe(step());
    // Sealed under the purpose key and bound to this account: it opens here and nowhere else.
    const key = deriveKey(ROOT, "totp");
    expect(open(key, row.totpSecretEnc!, `account:${accountId}:totp`)).toBe(secret);
    expect(() => open(key, row.totpSecretEnc!, `account:${crypto.randomUUID()}:totp`)).toThrow();

    const stored = await database.db
      .select()
      .from(recoveryCodes)
      .where(eq(recoveryCodes.accountId, accountId));
    const hashKey = recoveryCodeKey(ROOT);
    expect(stored.map((r) => r.codeHash).sort()).toEqual(
      codes.map((c) => hashRecoveryCode(hashKey, c)).sort(),
    );
    expect(await mfaStatus(ctx)).toEqual({ enabled: true, recoveryCodesRemaining: 10 });
  });

  it("refuses to start again once enabled, and to confirm without a pending secret", async () => {
    const { ctx } = await enrolled();
    await expect(startTotpEnrolment(ctx)).rejects.toMatchObject({ code: "conflict" });
    const fresh = await newUser();
    await expect(confirmTotpEnrolment(fresh.ctx, "123456")).rejects.toMatchObject({ code: "conflict" });
  });

  it("a wrong code does not confirm enrolment, and the failure is audited", async () => {
    const { ctx, accountId } = await newUser();
    const { secret } = await startTotpEnrolment(ctx);
    await expect(confirmTotpEnrolment(ctx, wrongCode(secret))).rejects.toMatchObject({
      code: "validation_failed",
      message: "invalid code",
    });
    expect((await accountRow(accountId)).totpEnabledAt).toBeNull();
    const events = await auditFor(accountId);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ["mfa.totp.enrol_started", "success"],
      ["mfa.totp.enabled", "failure"],
    ]);
    // Still pending: the right code works afterwards.
    await confirmTotpEnrolment(ctx, totpCode(secret, step()));
    expect((await mfaStatus(ctx)).enabled).toBe(true);
  });

  it("a TOTP code is accepted once: replay fails, the next step passes, an older one then fails", async () => {
    const { accountId, secret } = await enrolled();
    const s = step();
    // Confirming used step s.
    expect(await verifySecondFactor(anonymous, accountId, { code: totpCode(secret, s) })).toBe(false);
    expect(await verifySecondFactor(anonymous, accountId, { code: totpCode(secret, s + 1) })).toBe(true);
    expect(await verifySecondFactor(anonymous, accountId, { code: totpCode(secret, s + 1) })).toBe(false);
    expect(await verifySecondFactor(anonymous, accountId, { code: totpCode(secret, s) })).toBe(false);
    clock += 60_000; // now at step s + 2
    expect(await verifySecondFactor(anonymous, accountId, { code: wrongCode(secret) })).toBe(false);
    expect(await verifySecondFactor(anonymous, accountId, { code: ` ${totpCode(secret, s + 2)} ` })).toBe(
      true,
    );
    expect((await accountRow(accountId)).totpLastStep).toBe(s + 2);
  });

  it("refuses a factor for an account without MFA, an unknown account, or both factors at once", async () => {
    const plain = await newUser();
    const { accountId, secret, codes } = await enrolled();
    const code = totpCode(secret, step() + 1);
    expect(await verifySecondFactor(anonymous, plain.accountId, { code })).toBe(false);
    expect(await verifySecondFactor(anonymous, crypto.randomUUID(), { code })).toBe(false);
    expect(await verifySecondFactor(anonymous, accountId, {})).toBe(false);
    expect(await verifySecondFactor(anonymous, accountId, { code, recoveryCode: codes[0]! })).toBe(false);
    // Neither was consumed by the refused call.
    expect(await verifySecondFactor(anonymous, accountId, { code })).toBe(true);
    expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: codes[0]! })).toBe(true);
  });

  it("a recovery code works once, in any spelling; another account's code never works", async () => {
    const { ctx, accountId, codes } = await enrolled();
    const other = await enrolled();
    expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: other.codes[0]! })).toBe(false);

    const code = codes[0]!;
    expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: code })).toBe(true);
    for (const variant of [
      code,
      ` ${code.toUpperCase()} `,
      code.replace("-", " "),
      `\t${code.replace("-", "")}\n`,
      code.replace("-", "--").toUpperCase(),
    ]) {
      expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: variant })).toBe(false);
    }
    const spaced = ` ${codes[1]!.toUpperCase().replace("-", " ")} `;
    expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: spaced })).toBe(true);
    expect(await mfaStatus(ctx)).toEqual({ enabled: true, recoveryCodesRemaining: 8 });

    const used = (await auditFor(accountId)).filter((e) => e.action === "mfa.recovery_code.used");
    expect(used.map((e) => [e.outcome, e.actorType, e.details])).toEqual([
      ["success", "anonymous", { remaining: 9 }],
      ["success", "anonymous", { remaining: 8 }],
    ]);
  });

  it("disabling needs the password and a TOTP code; a recovery code is not enough", async () => {
    const { ctx, accountId, secret, codes } = await enrolled();
    const code = totpCode(secret, step() + 1);
    const attempts = [
      { password: "wrong", code },
      { password: PASSWORD, code: wrongCode(secret) },
      { password: PASSWORD, code: codes[0]! },
    ];
    for (const input of attempts) {
      await expect(disableTotp(ctx, input, { verifyPassword })).rejects.toMatchObject({
        code: "invalid_credentials",
        message: "invalid password or code",
      });
    }
    expect(await mfaStatus(ctx)).toEqual({ enabled: true, recoveryCodesRemaining: 10 });
    // The wrong-password attempt did not burn the code.
    await disableTotp(ctx, { password: PASSWORD, code }, { verifyPassword });
    const row = await accountRow(accountId);
    expect([row.totpSecretEnc, row.totpPendingSecretEnc, row.totpEnabledAt, row.totpLastStep]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(
      await database.db.select().from(recoveryCodes).where(eq(recoveryCodes.accountId, accountId)),
    ).toEqual([]);
    expect(await mfaStatus(ctx)).toEqual({ enabled: false, recoveryCodesRemaining: 0 });
    expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: codes[1]! })).toBe(false);
    await expect(disableTotp(ctx, { password: PASSWORD, code }, { verifyPassword })).rejects.toMatchObject({
      code: "conflict",
    });

    const disables = (await auditFor(accountId)).filter((e) => e.action === "mfa.totp.disabled");
    expect(disables.map((e) => [e.outcome, e.details])).toEqual([
      ["failure", { reason: "invalid_password" }],
      ["failure", { reason: "invalid_code" }],
      ["failure", { reason: "invalid_code" }],
      ["success", {}],
    ]);
  });

  it("every verb but verifySecondFactor needs a signed-in user", async () => {
    await expect(startTotpEnrolment(anonymous)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(confirmTotpEnrolment(anonymous, "123456")).rejects.toMatchObject({ code: "unauthorized" });
    await expect(mfaStatus(anonymous)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(
      disableTotp(anonymous, { password: PASSWORD, code: "123456" }, { verifyPassword }),
    ).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("audits enrolment, enabling, recovery use and disabling without any secret or code", async () => {
    const { ctx, accountId } = await newUser();
    const started = await startTotpEnrolment(ctx);
    const first = totpCode(started.secret, step());
    const { recoveryCodes: codes } = await confirmTotpEnrolment(ctx, first);
    const second = totpCode(started.secret, step() + 1);
    expect(await verifySecondFactor(anonymous, accountId, { recoveryCode: codes[3]! })).toBe(true);
    await disableTotp(ctx, { password: PASSWORD, code: second }, { verifyPassword });

    const events = await auditFor(accountId);
    expect(events.map((e) => e.action)).toEqual([
      "mfa.totp.enrol_started",
      "mfa.totp.enabled",
      "mfa.recovery_code.used",
      "mfa.totp.disabled",
    ]);
    const rows = JSON.stringify(events);
    expect(rows).not.toContain(started.secret);
    for (const c of codes) {
      expect(rows).not.toContain(c);
      expect(rows).not.toContain(normalizeRecoveryCode(c));
    }
    // 6-digit codes could occur by chance inside hashes, so scan just the details for those.
    const details = JSON.stringify(events.map((e) => e.details));
    for (const c of [first, second]) expect(details).not.toContain(c);
  });

  it("two concurrent uses of the same TOTP code: exactly one passes", async () => {
    const { accountId, secret } = await enrolled();
    const code = totpCode(secret, step() + 1);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => verifySecondFactor(anonymous, accountId, { code })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("two concurrent uses of the same recovery code: exactly one passes", async () => {
    const { ctx, accountId, codes } = await enrolled();
    const code = codes[0]!;
    const results = await Promise.all([
      verifySecondFactor(anonymous, accountId, { recoveryCode: code }),
      verifySecondFactor(anonymous, accountId, { recoveryCode: ` ${code.toUpperCase()} ` }),
      verifySecondFactor(anonymous, accountId, { recoveryCode: code.replace("-", "") }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await mfaStatus(ctx)).recoveryCodesRemaining).toBe(9);
  });
});
