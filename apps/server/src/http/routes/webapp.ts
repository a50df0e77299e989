import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  AppError,
  defaultTaskRegistry,
  deleteConversation,
  findSite,
  listConversations,
  listMessages,
  readVisit,
  renameConversation,
  sendChatMessage,
  sendCompletionMessage,
  startVisit,
  submitFeedback,
} from "@enclave/core";
import type { ConsoleRouteDeps } from "./console/deps.ts";
import { answer } from "../dify-answer.ts";
import {
  csrfTokenValid,
  issueCsrfToken,
  setWebAppCsrfCookie,
  webAppCookieAttributes,
  webAppCsrfCookieName,
} from "../plugins/cookies.ts";
import { sessionAuthenticate } from "../plugins/session-auth.ts";
import { visitCookieName } from "../plugins/visitor-auth.ts";

const Code = z.object({ code: z.string().max(64) }).strict();
const CodeId = z.object({ code: z.string().max(64), id: z.string().max(64) }).strict();
const CodeTask = z.object({ code: z.string().max(64), task_id: z.string().max(64) }).strict();

const visitor = { permission: "app.invoke", auth: "visitor" } as const;
/** Per IP: starting visits mints end users; messages cost model calls. */
const VISIT_LIMIT = { max: 20, timeWindow: "1 minute" } as const;
const MESSAGE_LIMIT = { max: 60, timeWindow: "1 minute" } as const;

/**
 * The body of a visitor's request with its `user` set to the visitor. A `user` sent by the client
 * is refused: a visitor acts only as itself.
 */
function asVisitor(request: FastifyRequest, raw: unknown): Record<string, unknown> {
  const body = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  if ("user" in body) throw new AppError("validation_failed", "`user` is set by the web app session");
  return { ...body, user: request.visitor!.externalId };
}

/** API of the published web apps at `/app/<code>` (the SPA), under `/app-api/<code>/…`. */
export function webAppRoutes(deps: ConsoleRouteDeps & { visitKey: Buffer; webAppCsrfKey: Buffer }) {
  const timeoutMs = deps.config.chat.modelTimeoutMs;
  return async (app: FastifyInstance) => {
    app.get("/app-api/:code/site", { config: { public: true } }, async (request) => {
      const { code } = Code.parse(request.params);
      return (await findSite(request.ctx, code)).view;
    });

    // Sets (or re-reads) this app's CSRF cookie and returns the value for the X-CSRF-Token header.
    app.get("/app-api/:code/csrf", { config: { public: true } }, async (request, reply) => {
      const { code } = Code.parse(request.params);
      const site = await findSite(request.ctx, code);
      const existing = request.cookies[webAppCsrfCookieName(request, code)];
      const csrfToken =
        existing && csrfTokenValid(deps.webAppCsrfKey, existing, code)
          ? existing
          : issueCsrfToken(deps.webAppCsrfKey, code);
      setWebAppCsrfCookie(request, reply, { code, embeddable: site.embedOrigins.length > 0 }, csrfToken);
      return { csrfToken };
    });

    // Starts (or keeps) a visit: sets the HttpOnly visit cookie for this app.
    app.post(
      "/app-api/:code/visit",
      { config: { public: true, rateLimit: VISIT_LIMIT } },
      async (request, reply) => {
        const { code } = Code.parse(request.params);
        const site = await findSite(request.ctx, code);
        const name = visitCookieName(request, code);
        const existing = request.cookies[name];
        if (!site.view.requireLogin && existing && readVisit(deps.visitKey, existing, site.appId)) {
          return { requireLogin: false, started: false };
        }
        if (site.view.requireLogin) {
          const session = await sessionAuthenticate(request, reply);
          if (session) request.ctx = { ...request.ctx, actor: session.actor };
        }
        const visit = await startVisit(request.ctx, code, deps.visitKey);
        reply.setCookie(name, visit.token, {
          httpOnly: true,
          path: "/",
          expires: visit.expiresAt,
          ...webAppCookieAttributes(request, site.embedOrigins.length > 0),
        });
        return { requireLogin: site.view.requireLogin, started: true };
      },
    );

    app.post(
      "/app-api/:code/chat-messages",
      { config: { ...visitor, rateLimit: MESSAGE_LIMIT } },
      async (request, reply) => {
        Code.parse(request.params);
        const body = asVisitor(request, request.body);
        return answer(request, reply, timeoutMs, (opts) =>
          sendChatMessage(request.ctx, body, { ...opts, source: "web" }),
        );
      },
    );

    app.post(
      "/app-api/:code/completion-messages",
      { config: { ...visitor, rateLimit: MESSAGE_LIMIT } },
      async (request, reply) => {
        Code.parse(request.params);
        const body = asVisitor(request, request.body);
        return answer(request, reply, timeoutMs, (opts) =>
          sendCompletionMessage(request.ctx, body, { ...opts, source: "web" }),
        );
      },
    );

    app.post("/app-api/:code/chat-messages/:task_id/stop", { config: visitor }, async (request) => {
      const { task_id } = CodeTask.parse(request.params);
      const actor = request.ctx.actor;
      if (actor.type === "endUser") {
        const tasks = request.ctx.services.tasks ?? defaultTaskRegistry;
        await tasks.stop(task_id, { appId: actor.appId, endUserId: actor.endUserId });
      }
      return { result: "success" };
    });

    app.get("/app-api/:code/conversations", { config: visitor }, async (request) =>
      listConversations(request.ctx, asVisitor(request, request.query)),
    );

    app.delete("/app-api/:code/conversations/:id", { config: visitor }, async (request, reply) => {
      const { id } = CodeId.parse(request.params);
      await deleteConversation(request.ctx, id, asVisitor(request, request.body));
      return reply.status(204).send();
    });

    app.post("/app-api/:code/conversations/:id/name", { config: visitor }, async (request) => {
      const { id } = CodeId.parse(request.params);
      return renameConversation(request.ctx, id, asVisitor(request, request.body));
    });

    app.get("/app-api/:code/messages", { config: visitor }, async (request) =>
      listMessages(request.ctx, asVisitor(request, request.query)),
    );

    app.post("/app-api/:code/messages/:id/feedbacks", { config: visitor }, async (request) => {
      const { id } = CodeId.parse(request.params);
      await submitFeedback(request.ctx, id, asVisitor(request, request.body));
      return { result: "success" };
    });
  };
}
