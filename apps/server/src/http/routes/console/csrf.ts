import type { FastifyInstance } from "fastify";
import { csrfTokenValid, issueCsrfToken, readCookie, setCsrfCookie } from "../../plugins/cookies.ts";
import type { ConsoleRouteDeps } from "./deps.ts";

export function csrfRoutes(deps: ConsoleRouteDeps) {
  return async (app: FastifyInstance) => {
    // Sets (or re-reads) the CSRF cookie and returns the value for the X-CSRF-Token header.
    app.get("/console/api/csrf", { config: { public: true } }, async (request, reply) => {
      const existing = readCookie(request, "csrf");
      const csrfToken =
        existing && csrfTokenValid(deps.csrfKey, existing) ? existing : issueCsrfToken(deps.csrfKey);
      setCsrfCookie(request, reply, csrfToken);
      return { csrfToken };
    });
  };
}
