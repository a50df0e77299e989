import type { FastifyInstance } from "fastify";
import { AuditEventsQuery } from "@enclave/contracts";
import {
  AppError,
  exportAuditEvents,
  lastAuditVerification,
  listAuditEvents,
  runAuditVerification,
  type Ctx,
} from "@enclave/core";

function auditSettings(ctx: Ctx) {
  if (!ctx.services.audit) throw new AppError("internal_error", "audit settings missing");
  return ctx.services.audit;
}

export function auditRoutes() {
  return async (app: FastifyInstance) => {
    app.get("/console/api/audit/events", { config: { permission: "audit.read" } }, async (request) =>
      listAuditEvents(request.ctx, AuditEventsQuery.parse(request.query)),
    );

    app.get("/console/api/audit/export", { config: { permission: "audit.read" } }, async (request, reply) => {
      const { limit: _limit, ...filters } = AuditEventsQuery.parse(request.query);
      const body = await exportAuditEvents(request.ctx, filters);
      return reply
        .type("application/x-ndjson; charset=utf-8")
        .header("content-disposition", 'attachment; filename="enclave-audit.jsonl"')
        .send(body);
    });

    app.get("/console/api/audit/verification", { config: { permission: "audit.read" } }, async (request) =>
      lastAuditVerification(request.ctx, auditSettings(request.ctx)),
    );

    // Runs a full verification now (it reads the whole deployment's trail, hence owner/admin).
    app.post("/console/api/audit/verification", { config: { permission: "audit.read" } }, async (request) =>
      runAuditVerification(request.ctx, auditSettings(request.ctx)),
    );
  };
}
