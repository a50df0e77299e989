import type { FastifyInstance } from "fastify";
import { LoginInput, LoginMfaInput } from "@enclave/contracts";
import { AppError, login, loginWithSecondFactor, logout } from "@enclave/core";
import { clearAuthCookie, readCookie, setAuthCookie } from "../../plugins/cookies.ts";
import { AUTH_RATE_LIMIT } from "./deps.ts";

export function authRoutes() {
  return async (app: FastifyInstance) => {
    app.post(
      "/console/api/login",
      { config: { public: true, rateLimit: AUTH_RATE_LIMIT } },
      async (request, reply) => {
        const input = LoginInput.parse(request.body);
        const result = await login(request.ctx, input);
        if (result.kind === "mfa") {
          setAuthCookie(request, reply, "mfa", result.challengeToken, result.expiresAt);
          return { mfaRequired: true };
        }
        setAuthCookie(request, reply, "session", result.session.token, result.session.expiresAt);
        return { mfaRequired: false, accountId: result.accountId };
      },
    );

    app.post(
      "/console/api/login/mfa",
      { config: { public: true, rateLimit: AUTH_RATE_LIMIT } },
      async (request, reply) => {
        const input = LoginMfaInput.parse(request.body);
        const challengeToken = readCookie(request, "mfa");
        if (!challengeToken) throw new AppError("unauthorized", "the sign-in attempt expired: start again");
        const result = await loginWithSecondFactor(request.ctx, { challengeToken, ...input });
        clearAuthCookie(request, reply, "mfa");
        setAuthCookie(request, reply, "session", result.session.token, result.session.expiresAt);
        return { accountId: result.accountId };
      },
    );

    app.post(
      "/console/api/logout",
      { config: { permission: "account.self", allowDuringMfaEnrolment: true } },
      async (request, reply) => {
        await logout(request.ctx);
        clearAuthCookie(request, reply, "session");
        return reply.status(204).send();
      },
    );
  };
}
