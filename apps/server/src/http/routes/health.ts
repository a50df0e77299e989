import type { FastifyInstance } from "fastify";
import { AppError } from "@enclave/core";
import { migrationStatus, type DatabaseHandle } from "@enclave/db";

/** Liveness (the process answers) and readiness (database reachable, schema current). */
export function healthRoutes(database: DatabaseHandle) {
  return async (app: FastifyInstance) => {
    app.get("/healthz", { config: { public: true } }, async () => ({ status: "ok" }));

    app.get("/readyz", { config: { public: true } }, async (request) => {
      try {
        await database.ping();
      } catch (err) {
        request.log.warn({ err }, "readiness: database unreachable");
        throw new AppError("not_ready", "database unreachable");
      }
      const status = await migrationStatus(database);
      if (!status.current) throw new AppError("not_ready", "database migrations are pending");
      return { status: "ready" };
    });
  };
}
