import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { StopRequest } from "@enclave/contracts";
import {
  AppError,
  defaultTaskRegistry,
  deleteConversation,
  findEndUser,
  isAppError,
  listConversations,
  listMessages,
  loadServingApp,
  renameConversation,
  sendChatMessage,
  sendCompletionMessage,
  submitFeedback,
  type SendOptions,
  type SentMessage,
} from "@enclave/core";
import type { ConsoleRouteDeps } from "../console/deps.ts";
import { clientGone, SseStream } from "../../sse.ts";

const invoke = { permission: "app.invoke", auth: "appKey" } as const;
const IdParam = z.object({ id: z.string().max(64) }).strict();
const TaskParam = z.object({ task_id: z.string().max(64) }).strict();

type Send = (opts: SendOptions) => Promise<SentMessage>;

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
        const endUserId = await findEndUser(request.ctx, serving.id, user);
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

function wantsStream(body: unknown): boolean {
  return (body as { response_mode?: unknown } | null)?.response_mode === "streaming";
}

/** Runs a message in the caller's response mode: SSE events, or one JSON answer when it is done. */
async function answer(request: FastifyRequest, reply: FastifyReply, timeoutMs: number, send: Send) {
  const signal = clientGone(reply);
  if (!wantsStream(request.body)) {
    const sent = await send({ source: "api", signal, timeoutMs });
    // The message is saved with its error; the caller gets Dify's error body with our code.
    if (sent.error) throw new AppError(sent.error.code, sent.error.message);
    return {
      event: "message",
      task_id: sent.taskId,
      id: sent.messageId,
      message_id: sent.messageId,
      ...(sent.conversationId ? { conversation_id: sent.conversationId } : {}),
      mode: sent.mode,
      answer: sent.answer,
      metadata: { usage: sent.usage, retriever_resources: sent.retrieverResources },
      created_at: sent.createdAt,
    };
  }

  const sse = new SseStream(reply);
  let base: Record<string, unknown> = {};
  try {
    const sent = await send({
      source: "api",
      signal,
      timeoutMs,
      onStart: (ids) => {
        base = {
          task_id: ids.taskId,
          message_id: ids.messageId,
          ...(ids.conversationId ? { conversation_id: ids.conversationId } : {}),
          created_at: ids.createdAt,
        };
        sse.open();
      },
      onEvent: (event) => {
        const id = event.event === "agent_thought" ? event.id : base.message_id;
        sse.send({ ...event, ...base, id });
      },
    });
    if (sent.error) {
      sse.send({ event: "error", ...base, ...sent.error });
    } else {
      sse.send({
        event: "message_end",
        ...base,
        id: sent.messageId,
        metadata: { usage: sent.usage, retriever_resources: sent.retrieverResources },
        files: null,
      });
    }
  } catch (err) {
    if (!sse.opened) throw err;
    // Headers are out: the failure can only be told as an error event.
    request.log.error({ err }, "streaming message failed");
    const known = isAppError(err) && err.status < 500;
    sse.send({
      event: "error",
      ...base,
      status: known ? err.status : 500,
      code: known ? err.code : "internal_server_error",
      message: known ? err.message : `internal error (request id ${request.id})`,
    });
  } finally {
    sse.end();
  }
  return reply;
}
