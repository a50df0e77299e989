import type { FastifyInstance } from "fastify";
import type { ConsoleRouteDeps } from "../console/deps.ts";

/** Dify-compatible service API under /v1 (app keys). Filled in by the chat runtime work. */
export function serviceApiRoutes(_deps: ConsoleRouteDeps) {
  return async (_app: FastifyInstance) => {};
}
