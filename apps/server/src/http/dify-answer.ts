import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError, isAppError, type SendOptions, type SentMessage } from "@enclave/core";
import { clientGone, SseStream } from "./sse.ts";

type Send = (opts: SendOptions) => Promise<SentMessage>;

function wantsStream(body: unknown): boolean {
  return (body as { response_mode?: unknown } | null)?.response_mode === "streaming";
}

/** Runs a message in the caller's response mode: SSE events, or one JSON answer when it is done. */
export async function answer(request: FastifyRequest, reply: FastifyReply, timeoutMs: number, send: Send) {
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
