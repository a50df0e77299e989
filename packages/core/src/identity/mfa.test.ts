import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { accounts, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { testCtx } from "../../test/ctx.ts";
import type { Ctx } from "../context/ctx.ts";
import { defaultIdentitySettings } from "./settings.ts";
import { confirmTotpEnrolment, startTotpEnrolment, verifySecondFactor } from "./mfa.ts";
import { totpCode, totpStep } from "./totp.ts";
import { normalizeRecoveryCode } from "./recovery-codes.ts";

const settings = defaultIdentitySettings("q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy");

describe.each(testDatabaseKinds())("second factor on %s", (kind) => {
  let database: DatabaseHandle;
  let ctx: Ctx;
  let accountId: string;
  let secret: string;
  let codes: string[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const [a] = await database.db
      .insert(accounts)
      .values({ email: "m@example.com", name: "M", passwordHash: "x" })
      .returning();
    accountId = a!.id;
    ctx = testCtx(database, {
      services: { identity: settings },
      actor: { type: "user", accountId, sessionId: null, role: "owner" },
    });
    secret = (await startTotpEnrolment(ctx)).secret;
    codes = (await confirmTotpEnrolment(ctx, totpCode(secret, totpStep(Date.now())))).recoveryCodes;
  });
  afterAll(() => database.close());

  it("stores the secret sealed, never in the clear", async () => {
    const [row] = await database.db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(row?.totpSecretEnc).toMatch(/^v1\./);
    expect(row?.totpSecretEnc).not.toContain(secret);
  });

  it("two concurrent uses of the same valid code: exactly one passes", async () => {
    const code = totpCode(secret, totpStep(Date.now()) + 1);
    const results = await Promise.all([
      verifySecondFactor(ctx, accountId, { code }),
      verifySecondFactor(ctx, accountId, { code }),
      verifySecondFactor(ctx, accountId, { code }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("two concurrent uses of the same recovery code: exactly one passes", async () => {
    const code = codes[0]!;
    const results = await Promise.all([
      verifySecondFactor(ctx, accountId, { recoveryCode: code }),
      verifySecondFactor(ctx, accountId, { recoveryCode: ` ${code.toUpperCase()} ` }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(normalizeRecoveryCode(" AB-cd ef\t")).toBe("abcdef");
  });
});
