import type { FastifyInstance, FastifyRequest } from "fastify";
import { enforceRequestLimits, recordAppKeyFailure, retryAfterOf } from "@enclave/core";

const BEARER = /^Bearer\s+((?:app|dataset)-[A-Za-z0-9_-]{4})/i;
const KEY_AUTH = new Set(["appKey", "datasetKey"]);

/**
 * Service API limits at the edge. Register after the request context, so the hooks run after
 * authentication: every `auth: "appKey"` / `"datasetKey"` route counts against its key's rpm/rph
 * (dataset keys: the deployment defaults); a 429 carries Retry-After; a refused key
 * authentication counts towards the failure-burst alert.
 * Generation concurrency is taken by the chat routes themselves (see core/limits/limits.ts).
 */
export function registerServiceLimits(app: FastifyInstance): void {
  app.addHook("preHandler", async (request) => {
    if (request.is404 || !KEY_AUTH.has(request.routeOptions.config.auth ?? "")) return;
    await enforceRequestLimits(request.ctx);
  });

  app.addHook("onError", async (_request, reply, error) => {
    const seconds = retryAfterOf(error);
    if (seconds !== null) reply.header("retry-after", String(seconds));
  });

  app.addHook("onResponse", async (request, reply) => {
    if (reply.statusCode !== 401 || !KEY_AUTH.has(request.routeOptions.config?.auth ?? "")) return;
    try {
      await recordAppKeyFailure(request.ctx, { keyPrefix: keyPrefixOf(request) });
    } catch (err) {
      request.log.error({ err }, "could not record a failed app-key authentication");
    }
  });
}

/** The shown prefix of the presented token (`app-AbCd`), the same eight characters the console lists. */
function keyPrefixOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== "string") return null;
  const match = BEARER.exec(header);
  return match ? match[1]! : null;
}
