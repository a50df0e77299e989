import type { FastifyInstance } from "fastify";
import { ChangePasswordInput, IdParam, TotpConfirmInput, TotpDisableInput } from "@enclave/contracts";
import {
  changePassword,
  confirmTotpEnrolment,
  disableTotp,
  getMyAccount,
  listMySessions,
  mfaStatus,
  revokeMySession,
  revokeMyOtherSessions,
  startTotpEnrolment,
  verifyPassword,
} from "@enclave/core";
import { AUTH_RATE_LIMIT } from "./deps.ts";

const self = { permission: "account.self", allowDuringMfaEnrolment: true } as const;

export function accountRoutes() {
  return async (app: FastifyInstance) => {
    app.get("/console/api/account", { config: self }, async (request) => getMyAccount(request.ctx));

    app.get("/console/api/account/sessions", { config: self }, async (request) => ({
      data: await listMySessions(request.ctx),
    }));
    // "Log out other sessions": every session of mine except this one.
    app.delete("/console/api/account/sessions", { config: self }, async (request) =>
      revokeMyOtherSessions(request.ctx),
    );
    app.delete("/console/api/account/sessions/:id", { config: self }, async (request, reply) => {
      const { id } = IdParam.parse(request.params);
      await revokeMySession(request.ctx, id);
      return reply.status(204).send();
    });

    app.post(
      "/console/api/account/password",
      { config: { ...self, allowDuringMfaEnrolment: false, rateLimit: AUTH_RATE_LIMIT } },
      async (request) => changePassword(request.ctx, ChangePasswordInput.parse(request.body)),
    );

    app.get("/console/api/account/mfa", { config: self }, async (request) => mfaStatus(request.ctx));
    app.post("/console/api/account/mfa/totp", { config: self }, async (request) =>
      startTotpEnrolment(request.ctx),
    );
    app.post(
      "/console/api/account/mfa/totp/confirm",
      { config: { ...self, rateLimit: AUTH_RATE_LIMIT } },
      async (request) => {
        const { code } = TotpConfirmInput.parse(request.body);
        return confirmTotpEnrolment(request.ctx, code);
      },
    );
    app.post(
      "/console/api/account/mfa/totp/disable",
      { config: { ...self, rateLimit: AUTH_RATE_LIMIT } },
      async (request, reply) => {
        const input = TotpDisableInput.parse(request.body);
        await disableTotp(request.ctx, input, { verifyPassword });
        return reply.status(204).send();
      },
    );
  };
}
