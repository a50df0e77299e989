import type { FastifyInstance } from "fastify";
import type { ConsoleRouteDeps } from "../console/deps.ts";

/** OpenAI-compatible endpoint (/v1/chat/completions, /v1/models) for published chat apps. */
export function openaiRoutes(_deps: ConsoleRouteDeps) {
  return async (_app: FastifyInstance) => {};
}
