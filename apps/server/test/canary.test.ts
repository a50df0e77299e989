import { describe, expect, it } from "vitest";
import { issueSetupToken, totpCode, totpStep } from "@enclave/core";
import { auditRows, captureLogs, createTestApp } from "./helpers.ts";
import { ConsoleClient } from "./console-client.ts";

/**
 * SECURITY.md row 11: distinctive secrets are planted everywhere a secret enters the system, then
 * every response, log line, audit row and export is scanned for them. The only places a secret may
 * appear are the ones built to show it once (the TOTP secret at enrolment, recovery codes at
 * confirmation) and the session cookie itself.
 */
describe("secret canaries", () => {
  it("never appear in responses, logs, the audit trail or its export", async () => {
    const canary = {
      secretKey: "CANARYsk9f3Lq7Vt2Nw8Xr5Pz1Hy6Jm4Bc0DgKeQaTsUvWxYz",
      kek: Buffer.from("CANARY-kek-32-bytes-long-value!!").toString("base64"),
      ownerPassword: "CANARY owner passphrase 1",
      wrongPassword: "CANARY wrong guess 2",
      memberPassword: "CANARY member passphrase 3",
    };
    const logs = captureLogs();
    const t = await createTestApp({
      logger: logs.logger,
      env: { SECRET_KEY: canary.secretKey, ENCLAVE_KEK: canary.kek },
    });
    const bodies: string[] = [];
    const owner = new ConsoleClient(t.app);
    const record = async (p: Promise<{ body: string }>) => bodies.push((await p).body);
    try {
      await owner.csrf();
      const token = (await issueSetupToken(t.database.db))!;
      await record(
        owner.post("/console/api/setup", {
          token,
          email: "o@example.com",
          password: canary.ownerPassword,
          name: "O",
          workspaceName: "W",
        }),
      );
      await record(new ConsoleClient(t.app).login("o@example.com", canary.wrongPassword));
      await record(
        owner.post("/console/api/account/password", {
          currentPassword: canary.wrongPassword,
          newPassword: canary.memberPassword,
        }),
      );
      const invite = await owner.post("/console/api/workspaces/current/members", {
        email: "m@example.com",
        role: "editor",
      });
      const inviteToken = (invite.json() as { link: string }).link.split("/invite/")[1]!;
      const member = new ConsoleClient(t.app);
      await member.csrf();
      await record(
        member.post(`/console/api/invitations/${inviteToken}/accept`, {
          name: "M",
          password: canary.memberPassword,
        }),
      );
      await record(
        member.post(`/console/api/invitations/${inviteToken}/accept`, {
          name: "M",
          password: canary.memberPassword,
        }),
      );

      // Shown once, by design: kept out of `bodies`.
      const enrol = (await owner.post("/console/api/account/mfa/totp")).json() as { secret: string };
      const confirm = (
        await owner.post("/console/api/account/mfa/totp/confirm", {
          code: totpCode(enrol.secret, totpStep(Date.now())),
        })
      ).json() as {
        recoveryCodes: string[];
      };
      const second = new ConsoleClient(t.app);
      await record(second.login("o@example.com", canary.ownerPassword));
      await record(second.post("/console/api/login/mfa", { recoveryCode: confirm.recoveryCodes[0] }));
      await record(second.post("/console/api/login/mfa", { recoveryCode: confirm.recoveryCodes[1] }));
      await record(owner.get("/console/api/account"));
      await record(owner.get("/console/api/account/mfa"));
      await record(owner.get("/console/api/audit/events?limit=500"));
      await record(owner.get("/console/api/audit/export"));
      await record(owner.post("/console/api/audit/verification"));
      await record(owner.get("/console/api/audit/verification"));
      await record(owner.get("/console/api/workspaces/current/members"));

      const sessionTokens = [owner, member, second].flatMap((c) =>
        [...c.cookies].filter(([k]) => k.includes("session")).map(([, v]) => v),
      );
      const secrets = [
        ...Object.values(canary),
        Buffer.from(canary.kek, "base64").toString("hex"),
        enrol.secret,
        ...confirm.recoveryCodes,
        ...confirm.recoveryCodes.map((c) => c.replace(/-/g, "")),
        ...sessionTokens,
        inviteToken,
      ];
      const audit = JSON.stringify(await auditRows(t.database.db));
      const haystacks = { responses: bodies.join("\n"), logs: logs.text(), audit };
      for (const [where, text] of Object.entries(haystacks)) {
        for (const secret of secrets)
          expect(text.includes(secret), `${where} contains a secret (${secret.slice(0, 10)}…)`).toBe(false);
      }
      expect(logs.raw.length).toBeGreaterThan(20);
      expect(audit.length).toBeGreaterThan(1000);
    } finally {
      await t.close();
    }
  });
});
