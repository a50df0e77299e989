import type { FastifyInstance } from "fastify";

/** Dify's knowledge service API under /v1/datasets (dataset keys). */
export function knowledgeApiRoutes() {
  return async (_app: FastifyInstance) => {};
}
