import type { FastifyInstance } from "fastify";
import { CreateAuditSinkInput, IdParam, UpdateAuditSinkInput } from "@enclave/contracts";
import { createAuditSink, deleteAuditSink, listAuditSinks, updateAuditSink } from "@enclave/core";

/** The workspace's own SIEM sinks (owner/admin). */
export function auditSinkRoutes() {
  return async (app: FastifyInstance) => {
    const base = "/console/api/workspaces/current/audit-sinks";
    app.get(base, { config: { permission: "workspace.update" } }, async (request) => ({
      data: await listAuditSinks(request.ctx),
    }));
    app.post(base, { config: { permission: "workspace.update" } }, async (request, reply) =>
      reply.status(201).send(await createAuditSink(request.ctx, CreateAuditSinkInput.parse(request.body))),
    );
    app.patch(`${base}/:id`, { config: { permission: "workspace.update" } }, async (request) =>
      updateAuditSink(
        request.ctx,
        IdParam.parse(request.params).id,
        UpdateAuditSinkInput.parse(request.body),
      ),
    );
    app.delete(`${base}/:id`, { config: { permission: "workspace.update" } }, async (request, reply) => {
      await deleteAuditSink(request.ctx, IdParam.parse(request.params).id);
      return reply.status(204).send();
    });
  };
}
