import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { StopRequest } from "@enclave/contracts";
import {
  defaultTaskRegistry,
  deleteConversation,
  existingEndUser,
  listConversations,
  listMessages,
  loadServingApp,
  renameConversation,
  sendChatMessage,
  sendCompletionMessage,
  submitFeedback,
} from "@enclave/core";
import type { ConsoleRouteDeps } from "../console/deps.ts";
import { answer } from "../../dify-answer.ts";

const invoke = { permission: "app.invoke", auth: "appKey" } as const;
const IdParam = z.object({ id: z.string().max(64) }).strict();
const TaskParam = z.object({ task_id: z.string().max(64) }).strict();

/** Dify-compatible service API under /v1 (app keys): chat, completion, conversations, messages. */
export function serviceApiRoutes(deps: ConsoleRouteDeps) {
  const timeoutMs = deps.config.chat.modelTimeoutMs;

  return async (app: FastifyInstance) => {
    app.post("/v1/chat-messages", { config: invoke }, async (request, reply) =>
      answer(request, reply, timeoutMs, (opts) => sendChatMessage(request.ctx, request.body, opts)),
    );

    app.post("/v1/completion-messages", { config: invoke }, async (request, reply) =>
      answer(request, reply, timeoutMs, (opts) => sendCompletionMessage(request.ctx, request.body, opts)),
    );

    for (const path of ["/v1/chat-messages/:task_id/stop", "/v1/completion-messages/:task_id/stop"]) {
      app.post(path, { config: invoke }, async (request) => {
        const { task_id } = TaskParam.parse(request.params);
        const { user } = StopRequest.parse(request.body);
        const serving = await loadServingApp(request.ctx, "api");
        const endUserId = (await existingEndUser(request.ctx, serving.id, user))?.id;
        if (endUserId) {
          const tasks = request.ctx.services.tasks ?? defaultTaskRegistry;
          await tasks.stop(task_id, { appId: serving.id, endUserId });
        }
        return { result: "success" };
      });
    }

    app.get("/v1/conversations", { config: invoke }, async (request) =>
      listConversations(request.ctx, request.query),
    );

    app.delete("/v1/conversations/:id", { config: invoke }, async (request, reply) => {
      const { id } = IdParam.parse(request.params);
      await deleteConversation(request.ctx, id, request.body ?? {});
      return reply.status(204).send();
    });

    app.post("/v1/conversations/:id/name", { config: invoke }, async (request) => {
      const { id } = IdParam.parse(request.params);
      return renameConversation(request.ctx, id, request.body);
    });

    app.get("/v1/messages", { config: invoke }, async (request) => listMessages(request.ctx, request.query));

    app.post("/v1/messages/:id/feedbacks", { config: invoke }, async (request) => {
      const { id } = IdParam.parse(request.params);
      await submitFeedback(request.ctx, id, request.body);
      return { result: "success" };
    });
  };
}
