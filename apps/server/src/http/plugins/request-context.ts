import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  AppError,
  refuseInternalEndUser,
  requirePermission,
  type Actor,
  type Ctx,
  type Services,
  type WorkspaceRef,
} from "@enclave/core";
import type { Database } from "@enclave/db";

declare module "fastify" {
  interface FastifyRequest {
    /** The domain context for this request; the actor is filled in by authentication. */
    ctx: Ctx;
  }
}

export interface Authenticated {
  actor: Actor;
  workspace: WorkspaceRef | null;
  /** The workspace requires MFA this account lacks: only enrolment routes are open to it. */
  mfaEnrolmentRequired?: boolean;
}

/** Turns request credentials into an actor; returns null when the request carries none or bad ones. */
export type Authenticate = (request: FastifyRequest, reply: FastifyReply) => Promise<Authenticated | null>;

/**
 * Builds `request.ctx` for every request and enforces the route's declared permission before the
 * handler runs: public routes pass, everything else needs an actor whose role grants it.
 */
export function registerRequestContext(
  app: FastifyInstance,
  deps: {
    db: Database;
    services: Services;
    authenticate: Authenticate;
    authenticateAppKey: Authenticate;
    authenticateVisitor: Authenticate;
    authenticateDatasetKey: Authenticate;
  },
): void {
  app.decorateRequest("ctx", null as unknown as Ctx);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    const ua = request.headers["user-agent"];
    request.ctx = {
      db: deps.db,
      workspace: null,
      actor: { type: "anonymous" },
      requestId: request.id,
      log: request.log,
      ip: request.ip ?? null,
      userAgent: typeof ua === "string" ? ua : null,
      services: deps.services,
    };
  });
  app.addHook("preHandler", async (request, reply) => {
    if (request.is404) return;
    const config = request.routeOptions.config;
    if (config.public === true) return;
    const authenticate =
      config.auth === "appKey"
        ? deps.authenticateAppKey
        : config.auth === "visitor"
          ? deps.authenticateVisitor
          : config.auth === "datasetKey"
            ? deps.authenticateDatasetKey
            : deps.authenticate;
    const auth = await authenticate(request, reply);
    if (!auth) throw new AppError("unauthorized", "authentication required");
    request.ctx = { ...request.ctx, actor: auth.actor, workspace: auth.workspace };
    if (auth.mfaEnrolmentRequired && config.allowDuringMfaEnrolment !== true) {
      throw new AppError(
        "mfa_enrolment_required",
        "this workspace requires multi-factor authentication: enrol first",
      );
    }
    if (!config.permission) throw new AppError("forbidden", "you do not have permission to do this");
    requirePermission(request.ctx, config.permission);
    if (config.auth === "appKey") {
      // Multipart uploads read their `user` field in the route, which checks it the same way.
      const body = request.body;
      if (body && typeof body === "object" && !Buffer.isBuffer(body)) {
        refuseInternalEndUser((body as { user?: unknown }).user);
      }
      refuseInternalEndUser((request.query as { user?: unknown } | undefined)?.user);
    }
  });
}
