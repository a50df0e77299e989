import type { FastifyInstance } from "fastify";

/** Model providers and the outbound allowlist of the current workspace. */
export function modelProviderRoutes() {
  return async (_app: FastifyInstance) => {};
}
