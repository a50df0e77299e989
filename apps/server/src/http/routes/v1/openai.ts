import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ModelMessage } from "ai";
import { AppError, isAppError, loadServingApp, sendStatelessChat, type SentMessage } from "@enclave/core";
import type { ConsoleRouteDeps } from "../console/deps.ts";
import { clientGone, SseStream } from "../../sse.ts";

const route = { permission: "app.invoke", auth: "appKey", errorFormat: "openai" } as const;

const TextPart = z.object({ type: z.literal("text"), text: z.string().max(100_000) });
const ImagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string().max(10_000_000) }),
});
const Content = z.union([z.string().max(100_000), z.array(z.union([TextPart, ImagePart])).max(20)]);

/** The subset of OpenAI's chat request an app serves; other fields (tools, n …) are the app's to decide. */
const ChatCompletionRequest = z.looseObject({
  model: z.string().max(200).optional(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["system", "developer", "user", "assistant"]),
        content: Content.nullable(),
      }),
    )
    .min(1)
    .max(500),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().trim().min(1).max(255).nullish(),
  n: z.literal(1).nullish(),
});
type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** OpenAI-compatible endpoint (/v1/chat/completions, /v1/models) for published chat apps. */
export function openaiRoutes(deps: ConsoleRouteDeps) {
  const timeoutMs = deps.config.chat.modelTimeoutMs;

  return async (app: FastifyInstance) => {
    app.get("/v1/models", { config: route }, async (request) => {
      const serving = await loadServingApp(request.ctx, "api");
      return {
        object: "list",
        data: [{ id: serving.id, object: "model", created: 0, owned_by: "enclave", name: serving.name }],
      };
    });

    app.post("/v1/chat/completions", { config: route }, async (request, reply) => {
      const body = ChatCompletionRequest.parse(request.body);
      const { system, messages, query } = toModelMessages(body);
      const signal = clientGone(reply);
      const model = body.model ?? "enclave-app";
      const input = { user: body.user ?? "openai", messages, query, system };

      if (!body.stream) {
        const sent = await sendStatelessChat(request.ctx, input, { source: "openai", signal, timeoutMs });
        if (sent.error) throw new AppError(sent.error.code, sent.error.message);
        return {
          id: `chatcmpl-${sent.messageId}`,
          object: "chat.completion",
          created: sent.createdAt,
          model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: sent.answer },
              finish_reason: "stop",
              logprobs: null,
            },
          ],
          usage: usageOf(sent),
        };
      }

      const sse = new SseStream(reply);
      let head = { id: "", object: "chat.completion.chunk", created: 0, model };
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        sse.send({ ...head, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
      try {
        const sent = await sendStatelessChat(request.ctx, input, {
          source: "openai",
          signal,
          timeoutMs,
          onStart: (ids) => {
            head = { ...head, id: `chatcmpl-${ids.messageId}`, created: ids.createdAt };
            chunk({ role: "assistant", content: "" }, null);
          },
          onEvent: (event) => {
            if (event.event === "message" || event.event === "agent_message")
              chunk({ content: event.answer }, null);
          },
        });
        if (sent.error) {
          sse.send({
            error: { message: sent.error.message, type: "server_error", code: sent.error.code, param: null },
          });
        } else {
          chunk({}, "stop");
          if (body.stream_options?.include_usage) sse.send({ ...head, choices: [], usage: usageOf(sent) });
        }
        sse.write("data: [DONE]\n\n");
      } catch (err) {
        if (!sse.opened) throw err;
        request.log.error({ err }, "streaming chat completion failed");
        const message =
          isAppError(err) && err.status < 500 ? err.message : `internal error (request id ${request.id})`;
        sse.send({ error: { message, type: "server_error", code: "internal_error", param: null } });
      } finally {
        sse.end();
      }
      return reply;
    });
  };
}

function usageOf(sent: SentMessage) {
  const u = sent.usage;
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.total_tokens,
  };
}

function text(content: ChatCompletionRequest["messages"][number]["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/**
 * The caller's history as model messages. Its system messages come after the app's own prompt
 * (the app's instructions stay first); the last message must be the user's.
 */
function toModelMessages(body: ChatCompletionRequest): {
  system: string;
  messages: ModelMessage[];
  query: string;
} {
  const system: string[] = [];
  const messages: ModelMessage[] = [];
  for (const m of body.messages) {
    if (m.role === "system" || m.role === "developer") {
      system.push(text(m.content));
    } else if (m.role === "assistant") {
      messages.push({ role: "assistant", content: text(m.content) });
    } else if (typeof m.content === "string" || m.content === null) {
      messages.push({ role: "user", content: m.content ?? "" });
    } else {
      messages.push({
        role: "user",
        content: m.content.map((p) =>
          p.type === "text"
            ? { type: "text" as const, text: p.text }
            : { type: "image" as const, image: imageUrl(p.image_url.url) },
        ),
      });
    }
  }
  const last = body.messages.at(-1)!;
  if (last.role !== "user") throw new AppError("validation_failed", "the last message must be the user's");
  return { system: system.join("\n\n"), messages, query: text(last.content) };
}

function imageUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("validation_failed", "an image_url is not a valid URL");
  }
  if (!["https:", "http:", "data:"].includes(url.protocol)) {
    throw new AppError("validation_failed", "image URLs must be http(s) or data: URLs");
  }
  return url;
}
