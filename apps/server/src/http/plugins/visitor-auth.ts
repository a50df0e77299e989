import type { FastifyRequest } from "fastify";
import { ensureEndUser, findSite, isActiveMember, readVisit } from "@enclave/core";
import { cookieNames } from "./cookies.ts";
import type { Authenticate } from "./request-context.ts";
import { sessionAuthenticate } from "./session-auth.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The web app visitor's end-user id (Dify's `user`), set by visitor authentication. */
    visitor?: { externalId: string };
  }
}

/** The visit cookie of one web app (one per app, so visits of different apps never mix). */
export function visitCookieName(request: FastifyRequest, code: string): string {
  return `${cookieNames(request).secure ? "__Host-" : ""}enclave_visit_${code}`;
}

function codeOf(request: FastifyRequest): string {
  return String((request.params as { code?: unknown } | undefined)?.code ?? "");
}

/**
 * Web app visitors: the signed visit cookie of `/app-api/:code/…`, for that app only. Sites that
 * require a workspace login also need a live console session of an active member — checked on
 * every request, so removing someone from the workspace ends their web app access at once.
 */
export function visitorAuthenticate(key: Buffer): Authenticate {
  return async (request, reply) => {
    const code = codeOf(request);
    const site = await findSite(request.ctx, code);
    const token = request.cookies[visitCookieName(request, code)];
    const visit = token ? readVisit(key, token, site.appId) : null;
    if (!visit) return null;
    if (site.view.requireLogin) {
      const session = await sessionAuthenticate(request, reply);
      if (session?.actor.type !== "user") return null;
      if (visit.externalId !== `account:${session.actor.accountId}`) return null;
      if (!(await isActiveMember(request.ctx, site.workspaceId, session.actor.accountId))) return null;
    }
    const ctx = { ...request.ctx, workspace: { id: site.workspaceId } };
    const endUser = await ensureEndUser(ctx, site.appId, visit.externalId, "web");
    request.visitor = { externalId: visit.externalId };
    return {
      actor: { type: "endUser", endUserId: endUser.id, appId: site.appId },
      workspace: { id: site.workspaceId },
    };
  };
}
