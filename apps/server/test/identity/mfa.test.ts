import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inArray } from "drizzle-orm";
import { auditEvents } from "@enclave/db";
import { totpCode, totpStep } from "@enclave/core";
import { auditRows, createTestApp, type TestApp } from "../helpers.ts";
import { ConsoleClient } from "../console-client.ts";
import { addMember, OWNER, PASSWORD, setupOwner } from "../identity-world.ts";

const codeFor = (secret: string, offsetSteps = 0) => totpCode(secret, totpStep(Date.now()) + offsetSteps);

describe("TOTP multi-factor authentication", () => {
  let t: TestApp;
  let owner: ConsoleClient;
  let secret: string;
  let recoveryCodes: string[];

  beforeAll(async () => {
    t = await createTestApp();
    ({ owner } = await setupOwner(t));
  });
  afterAll(() => t.close());

  it("enrols: secret and otpauth URI shown once, confirmed by a code, 10 recovery codes", async () => {
    const start = await owner.post("/console/api/account/mfa/totp");
    expect(start.statusCode).toBe(200);
    const body = start.json() as { secret: string; otpauthUri: string };
    secret = body.secret;
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    expect((await owner.post("/console/api/account/mfa/totp/confirm", { code: "000000" })).statusCode).toBe(
      400,
    );
    const confirm = await owner.post("/console/api/account/mfa/totp/confirm", { code: codeFor(secret) });
    expect(confirm.statusCode).toBe(200);
    recoveryCodes = (confirm.json() as { recoveryCodes: string[] }).recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect((await owner.get("/console/api/account/mfa")).json()).toEqual({
      enabled: true,
      recoveryCodesRemaining: 10,
    });
  });

  it("login becomes two-step; a code is accepted once (replay in the same window fails)", async () => {
    const c = new ConsoleClient(t.app);
    const first = await c.login(OWNER.email, OWNER.password);
    expect(first.json()).toEqual({ mfaRequired: true });
    expect([...c.cookies.keys()]).not.toContain("enclave_session");
    expect((await c.get("/console/api/account")).statusCode).toBe(401);
    // The confirm step already used the current step's code: a later step's code passes.
    const code = codeFor(secret, 1);
    const second = await c.post("/console/api/login/mfa", { code });
    expect(second.statusCode).toBe(200);
    expect((await c.get("/console/api/account")).statusCode).toBe(200);

    const replay = new ConsoleClient(t.app);
    expect((await replay.login(OWNER.email, OWNER.password)).json()).toEqual({ mfaRequired: true });
    const res = await replay.post("/console/api/login/mfa", { code });
    expect(res.statusCode).toBe(401);
    expect((await replay.get("/console/api/account")).statusCode).toBe(401);
  });

  it("a recovery code works once; reusing it — also with spaces, dashes or capitals — fails", async () => {
    const code = recoveryCodes[0]!;
    const a = new ConsoleClient(t.app);
    await a.login(OWNER.email, OWNER.password);
    expect((await a.post("/console/api/login/mfa", { recoveryCode: code })).statusCode).toBe(200);
    for (const variant of [
      code,
      ` ${code.toUpperCase()} `,
      code.replace(/-/g, " "),
      `  ${code.replace(/-/g, "")}\t`,
    ]) {
      const b = new ConsoleClient(t.app);
      await b.login(OWNER.email, OWNER.password);
      expect((await b.post("/console/api/login/mfa", { recoveryCode: variant })).statusCode).toBe(401);
    }
    const spaced = ` ${recoveryCodes[1]!.toUpperCase().replace(/-/g, " ")} `;
    const c = new ConsoleClient(t.app);
    await c.login(OWNER.email, OWNER.password);
    expect((await c.post("/console/api/login/mfa", { recoveryCode: spaced })).statusCode).toBe(200);
    expect((await owner.get("/console/api/account/mfa")).json()).toMatchObject({ recoveryCodesRemaining: 8 });
  });

  let editor: Awaited<ReturnType<typeof addMember>>;
  let editorSecret: string;

  it("workspace policy: a member without MFA can reach only the enrolment flow", async () => {
    editor = await addMember(t, owner, "editor@example.com", "editor");
    expect((await owner.patch("/console/api/workspaces/current", { mfaPolicy: "all" })).statusCode).toBe(200);
    const blocked = await editor.client.get("/console/api/workspaces/current/members");
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json()).toMatchObject({ code: "mfa_enrolment_required" });
    expect((await editor.client.get("/console/api/account")).json()).toMatchObject({
      mfaEnrolmentRequired: true,
    });
    editorSecret = ((await editor.client.post("/console/api/account/mfa/totp")).json() as { secret: string })
      .secret;
    expect(
      (await editor.client.post("/console/api/account/mfa/totp/confirm", { code: codeFor(editorSecret) }))
        .statusCode,
    ).toBe(200);
    expect((await editor.client.get("/console/api/workspaces/current/members")).statusCode).toBe(200);
    expect((await owner.patch("/console/api/workspaces/current", { mfaPolicy: "off" })).statusCode).toBe(200);
  });

  it("disabling needs the password and a code", async () => {
    // The confirm step used the current step; the next step's code is still unused.
    const code = codeFor(editorSecret, 1);
    const wrongCode = code === "000000" ? "000001" : "000000";
    const c = editor.client;
    expect(
      (await c.post("/console/api/account/mfa/totp/disable", { password: PASSWORD, code: wrongCode }))
        .statusCode,
    ).toBe(401);
    expect(
      (await c.post("/console/api/account/mfa/totp/disable", { password: OWNER.password, code })).statusCode,
    ).toBe(401);
    expect(
      (await c.post("/console/api/account/mfa/totp/disable", { password: PASSWORD, code })).statusCode,
    ).toBe(204);
    expect((await new ConsoleClient(t.app).login("editor@example.com", PASSWORD)).json()).toMatchObject({
      mfaRequired: false,
    });
  });

  it("audits enrolment, recovery-code use and disabling without any secret or code", async () => {
    const rows = await auditRows(
      t.database.db,
      inArray(auditEvents.action, [
        "mfa.totp.enabled",
        "mfa.totp.disabled",
        "mfa.recovery_code.used",
        "auth.mfa.failure",
      ]),
    );
    expect(new Set(rows.map((r) => r.action))).toEqual(
      new Set(["mfa.totp.enabled", "mfa.totp.disabled", "mfa.recovery_code.used", "auth.mfa.failure"]),
    );
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secret);
    for (const code of recoveryCodes) expect(text).not.toContain(code);
  });
});
