import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { SetupInput } from "@enclave/contracts";
import { AppError, completeSetup, isSetupComplete } from "@enclave/core";
import { setAuthCookie } from "../../plugins/cookies.ts";
import { AUTH_RATE_LIMIT, type ConsoleRouteDeps } from "./deps.ts";

export function setupRoutes(deps: ConsoleRouteDeps) {
  return async (app: FastifyInstance) => {
    app.get("/console/api/setup", { config: { public: true } }, async (request) => {
      if (await isSetupComplete(request.ctx.db)) throw new AppError("not_found", "route not found");
      return { setupRequired: true };
    });

    app.post(
      "/console/api/setup",
      { config: { public: true, rateLimit: AUTH_RATE_LIMIT } },
      async (request, reply) => {
        if (await isSetupComplete(request.ctx.db)) throw new AppError("not_found", "route not found");
        const input = SetupInput.parse(request.body);
        const result = await completeSetup(request.ctx, input);
        await rm(join(deps.config.dataDir, "setup-token"), { force: true });
        setAuthCookie(request, reply, "session", result.session.token, result.session.expiresAt);
        return reply.status(201).send({ accountId: result.accountId, workspaceId: result.workspaceId });
      },
    );
  };
}
