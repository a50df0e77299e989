import type { FastifyInstance } from "fastify";
import type { ConsoleRouteDeps } from "./deps.ts";

/** Apps, published versions, service API keys, logs and usage. */
export function appRoutes(_deps: ConsoleRouteDeps) {
  return async (_app: FastifyInstance) => {};
}
