import type { FastifyInstance } from "fastify";
import {
  AppKeyParams,
  AppTaskParams,
  AppVersionParams,
  ConversationLogQuery,
  CreateApiKeyInput,
  CreateAppInput,
  IdParam,
  MessageLogQuery,
  UpdateAppInput,
  UsageQuery,
} from "@enclave/contracts";
import {
  createApiKey,
  createApp,
  debugChatMessage,
  deleteApp,
  getApp,
  getAppUsage,
  listApiKeys,
  listAppConversations,
  listAppMessages,
  listApps,
  listAppVersions,
  publishApp,
  restoreAppVersion,
  revokeApiKey,
  stopDebugChat,
  updateApp,
} from "@enclave/core";
import type { ConsoleRouteDeps } from "./deps.ts";
import { answer } from "../../dify-answer.ts";

/** Apps, published versions, service API keys, logs and usage. */
export function appRoutes(deps: ConsoleRouteDeps) {
  const timeoutMs = deps.config.chat.modelTimeoutMs;
  return async (app: FastifyInstance) => {
    // The debug chat pane: a turn against the draft, streamed like the service API's.
    app.post(
      "/console/api/apps/:id/chat-messages",
      { config: { permission: "app.update" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        return answer(request, reply, timeoutMs, (opts) =>
          debugChatMessage(request.ctx, id, request.body, opts),
        );
      },
    );
    // Its Stop button: only the account that started the answer can stop it.
    app.post(
      "/console/api/apps/:id/chat-messages/:taskId/stop",
      { config: { permission: "app.update" } },
      async (request) => {
        const { id, taskId } = AppTaskParams.parse(request.params);
        await stopDebugChat(request.ctx, id, taskId);
        return { result: "success" };
      },
    );
    app.get("/console/api/apps", { config: { permission: "app.read" } }, async (request) => ({
      data: await listApps(request.ctx),
    }));
    app.post("/console/api/apps", { config: { permission: "app.create" } }, async (request, reply) =>
      reply.status(201).send(await createApp(request.ctx, CreateAppInput.parse(request.body))),
    );
    app.get("/console/api/apps/:id", { config: { permission: "app.read" } }, async (request) =>
      getApp(request.ctx, IdParam.parse(request.params).id),
    );
    app.patch("/console/api/apps/:id", { config: { permission: "app.update" } }, async (request) => {
      const { id } = IdParam.parse(request.params);
      return updateApp(request.ctx, id, UpdateAppInput.parse(request.body));
    });
    app.delete("/console/api/apps/:id", { config: { permission: "app.delete" } }, async (request, reply) => {
      await deleteApp(request.ctx, IdParam.parse(request.params).id);
      return reply.status(204).send();
    });

    app.post("/console/api/apps/:id/publish", { config: { permission: "app.update" } }, async (request) =>
      publishApp(request.ctx, IdParam.parse(request.params).id),
    );
    app.get("/console/api/apps/:id/versions", { config: { permission: "app.read" } }, async (request) => ({
      data: await listAppVersions(request.ctx, IdParam.parse(request.params).id),
    }));
    app.post(
      "/console/api/apps/:id/versions/:versionId/restore",
      { config: { permission: "app.update" } },
      async (request) => {
        const { id, versionId } = AppVersionParams.parse(request.params);
        return restoreAppVersion(request.ctx, id, versionId);
      },
    );

    app.get("/console/api/apps/:id/api-keys", { config: { permission: "app.update" } }, async (request) => ({
      data: await listApiKeys(request.ctx, IdParam.parse(request.params).id),
    }));
    app.post(
      "/console/api/apps/:id/api-keys",
      { config: { permission: "app.update" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        const key = await createApiKey(request.ctx, id, CreateApiKeyInput.parse(request.body ?? {}));
        // The token is in this body and nowhere else: never cached, never logged.
        return reply.status(201).header("cache-control", "no-store").send(key);
      },
    );
    app.delete(
      "/console/api/apps/:id/api-keys/:keyId",
      { config: { permission: "app.update" } },
      async (request, reply) => {
        const { id, keyId } = AppKeyParams.parse(request.params);
        await revokeApiKey(request.ctx, id, keyId);
        return reply.status(204).send();
      },
    );

    // Logs: `app.read` gets a member this far; the verb then applies the app's log visibility.
    app.get(
      "/console/api/apps/:id/conversations",
      { config: { permission: "app.read" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        const page = await listAppConversations(request.ctx, id, ConversationLogQuery.parse(request.query));
        return reply.header("cache-control", "no-store").send(page);
      },
    );
    app.get(
      "/console/api/apps/:id/messages",
      { config: { permission: "app.read" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        const page = await listAppMessages(request.ctx, id, MessageLogQuery.parse(request.query));
        return reply.header("cache-control", "no-store").send(page);
      },
    );
    app.get("/console/api/apps/:id/usage", { config: { permission: "app.read" } }, async (request) => {
      const { id } = IdParam.parse(request.params);
      return getAppUsage(request.ctx, id, UsageQuery.parse(request.query));
    });
  };
}
