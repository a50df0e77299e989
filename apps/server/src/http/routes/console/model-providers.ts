import type { FastifyInstance } from "fastify";
import {
  CreateAllowlistEntryInput,
  CreateModelProviderInput,
  IdParam,
  TestModelProviderInput,
  UpdateModelProviderInput,
} from "@enclave/contracts";
import {
  addAllowlistEntry,
  createModelProvider,
  deleteModelProvider,
  getModelProvider,
  listAllowlistEntries,
  listModelProviders,
  removeAllowlistEntry,
  testModelProvider,
  updateModelProvider,
} from "@enclave/core";

const PROVIDERS = "/console/api/workspaces/current/model-providers";
const ALLOWLIST = "/console/api/workspaces/current/outbound-allowlist";

/** Model providers and the outbound allowlist of the current workspace. */
export function modelProviderRoutes() {
  return async (app: FastifyInstance) => {
    app.get(PROVIDERS, { config: { permission: "model_provider.read" } }, async (request) => ({
      data: await listModelProviders(request.ctx),
    }));
    app.post(PROVIDERS, { config: { permission: "model_provider.manage" } }, async (request, reply) =>
      reply
        .status(201)
        .send(await createModelProvider(request.ctx, CreateModelProviderInput.parse(request.body))),
    );
    app.get(`${PROVIDERS}/:id`, { config: { permission: "model_provider.read" } }, async (request) => {
      const { id } = IdParam.parse(request.params);
      return getModelProvider(request.ctx, id);
    });
    app.patch(`${PROVIDERS}/:id`, { config: { permission: "model_provider.manage" } }, async (request) => {
      const { id } = IdParam.parse(request.params);
      return updateModelProvider(request.ctx, id, UpdateModelProviderInput.parse(request.body));
    });
    app.delete(
      `${PROVIDERS}/:id`,
      { config: { permission: "model_provider.manage" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        await deleteModelProvider(request.ctx, id);
        return reply.status(204).send();
      },
    );
    app.post(
      `${PROVIDERS}/:id/test`,
      { config: { permission: "model_provider.manage" } },
      async (request) => {
        const { id } = IdParam.parse(request.params);
        return testModelProvider(request.ctx, id, TestModelProviderInput.parse(request.body ?? {}));
      },
    );

    app.get(ALLOWLIST, { config: { permission: "model_provider.read" } }, async (request) => ({
      data: await listAllowlistEntries(request.ctx),
    }));
    app.post(ALLOWLIST, { config: { permission: "model_provider.manage" } }, async (request, reply) =>
      reply
        .status(201)
        .send(await addAllowlistEntry(request.ctx, CreateAllowlistEntryInput.parse(request.body))),
    );
    app.delete(
      `${ALLOWLIST}/:id`,
      { config: { permission: "model_provider.manage" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        await removeAllowlistEntry(request.ctx, id);
        return reply.status(204).send();
      },
    );
  };
}
