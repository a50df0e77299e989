import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  type AuditSettings,
  defaultIdentitySettings,
  Envelope,
  type FileStore,
  LocalFileStore,
  type Limits,
  MemoryLimits,
  RedisLimits,
  type KekRing,
  deriveKey,
  type IdentitySettings,
  type Queue,
  type Resolver,
  type Log,
} from "@enclave/core";
import type { DatabaseHandle } from "@enclave/db";
import type { Config } from "../config.ts";
import { createLogger } from "./logger.ts";
import { consoleSecretSettings, openAuditSettings, openKekRing } from "../secrets.ts";
import { registerSecurityHeaders } from "./plugins/security-headers.ts";
import { registerErrorHandling } from "./plugins/errors.ts";
import { registerRouteGuard, type RegisteredRoute } from "./plugins/route-guard.ts";
import { registerRequestContext, type Authenticate } from "./plugins/request-context.ts";
import { healthRoutes } from "./routes/health.ts";
import { registerCsrf } from "./plugins/csrf.ts";
import { sessionAuthenticate } from "./plugins/session-auth.ts";
import { csrfRoutes } from "./routes/console/csrf.ts";
import { setupRoutes } from "./routes/console/setup.ts";
import { authRoutes } from "./routes/console/auth.ts";
import { accountRoutes } from "./routes/console/account.ts";
import { workspaceRoutes } from "./routes/console/workspaces.ts";
import { auditRoutes } from "./routes/console/audit.ts";
import { modelProviderRoutes } from "./routes/console/model-providers.ts";
import { auditSinkRoutes } from "./routes/console/audit-sinks.ts";
import { secretStatusRoutes } from "./routes/console/secret-status.ts";
import { appRoutes } from "./routes/console/apps.ts";
import { serviceApiRoutes } from "./routes/v1/service-api.ts";
import { openaiRoutes } from "./routes/v1/openai.ts";
import { appKeyAuthenticate } from "./plugins/app-key-auth.ts";
import { visitorAuthenticate } from "./plugins/visitor-auth.ts";
import { webAppRoutes } from "./routes/webapp.ts";
import { openRedisTaskRegistry } from "../chat/redis-tasks.ts";
import { datasetKeyAuthenticate } from "./plugins/dataset-key-auth.ts";
import { datasetRoutes } from "./routes/console/datasets.ts";
import { knowledgeApiRoutes } from "./routes/v1/datasets.ts";
import { registerServiceLimits } from "./plugins/service-limits.ts";
import { fileRoutes } from "./routes/v1/files.ts";
import { appInfoRoutes } from "./routes/v1/app-info.ts";
import { webRoutes } from "./routes/web.ts";
import "./route-options.ts";

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export interface AppDeps {
  database: DatabaseHandle;
  queue: Queue;
  logger?: Logger;
  /** Replaces session-cookie authentication (tests of the edge itself use this). */
  authenticate?: Authenticate;
  /** Shared store for rate limits across replicas; in-memory without it. */
  redis?: Redis;
  /** Checkpoint signing (tests inject one); from config (local key or Vault Transit) without it. */
  auditSettings?: AuditSettings;
  /** Key-encryption keys for the envelope; built from config (local or Vault Transit) without it. */
  kekRing?: KekRing;
  /** Outbound HTTP overrides (tests inject a DNS stub). */
  outbound?: { resolve?: Resolver; timeoutMs?: number };
  /** Where uploads are stored; `<data dir>/files` without it. */
  files?: FileStore;
  /** The built console to serve; apps/web/dist without it. */
  webDist?: string;
  /** Extra route plugins (tests use this to add probes); the product's own routes are always on. */
  extraRoutes?: RoutePlugin[];
}

declare module "fastify" {
  interface FastifyInstance {
    /** Every route with the guard it declared, for the route-walking tests. */
    readonly registeredRoutes: readonly RegisteredRoute[];
  }
}

/** Builds the HTTP app without listening. Throws if any route lacks a permission declaration. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: (deps.logger ?? createLogger(config.log.level)) as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: "requestId" }),
    bodyLimit: config.server.bodyLimitBytes,
    trustProxy: config.server.trustedProxies.length > 0 ? config.server.trustedProxies : false,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  });
  const registry: RegisteredRoute[] = [];
  app.decorate("registeredRoutes", registry);
  registerRouteGuard(app, registry);
  registerErrorHandling(app);
  closeConnectionsWhenDraining(app);

  registerSecurityHeaders(app);

  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    ...(deps.redis ? { redis: deps.redis, nameSpace: "enclave:rl:" } : {}),
  });
  const stopSharing = deps.redis ? await openRedisTaskRegistry(deps.redis, app.log) : null;
  if (stopSharing) app.addHook("onClose", stopSharing.close);
  const visitKey = deriveKey(config.secrets.secretKey, "webapp-visit");
  const references = consoleSecretSettings(config, deps.database.db, app.log as unknown as Log);
  registerRequestContext(app, {
    db: deps.database.db,
    services: {
      queue: deps.queue,
      identity: identitySettings(config),
      audit: deps.auditSettings ?? (await openAuditSettings(config)),
      outbound: { allowlist: config.outboundAllowlist, ...deps.outbound },
      envelope: new Envelope(deps.database.db, deps.kekRing ?? openKekRing(config)),
      files: deps.files ?? new LocalFileStore(join(config.dataDir, "files")),
      ...(stopSharing ? { tasks: stopSharing.tasks } : {}),
      limits: serviceLimits(config, deps.redis),
      ...(references ? { secrets: references } : {}),
    },
    authenticate: deps.authenticate ?? sessionAuthenticate,
    authenticateAppKey: appKeyAuthenticate,
    authenticateVisitor: visitorAuthenticate(visitKey),
    authenticateDatasetKey: datasetKeyAuthenticate,
  });
  registerServiceLimits(app);

  // After the request context (so a CSRF refusal can be audited with the caller's IP).
  const csrfKey = deriveKey(config.secrets.secretKey, "csrf");
  const webAppCsrfKey = deriveKey(config.secrets.secretKey, "webapp-csrf");
  registerCsrf(app, { console: csrfKey, webApp: webAppCsrfKey });

  const routeDeps = { config, csrfKey };
  await app.register(healthRoutes(deps.database));
  await app.register(csrfRoutes(routeDeps));
  await app.register(setupRoutes(routeDeps));
  await app.register(authRoutes());
  await app.register(accountRoutes());
  await app.register(workspaceRoutes(routeDeps));
  await app.register(auditRoutes());
  await app.register(auditSinkRoutes());
  await app.register(secretStatusRoutes({ config }));
  await app.register(modelProviderRoutes());
  await app.register(appRoutes(routeDeps));
  await app.register(datasetRoutes());
  await app.register(knowledgeApiRoutes());
  await app.register(serviceApiRoutes(routeDeps));
  await app.register(openaiRoutes(routeDeps));
  await app.register(webAppRoutes({ ...routeDeps, visitKey, webAppCsrfKey }));
  await app.register(fileRoutes(routeDeps));
  await app.register(appInfoRoutes(routeDeps));
  await app.register(webRoutes({ distDir: deps.webDist }));
  for (const plugin of deps.extraRoutes ?? []) await app.register(plugin);

  await app.ready();
  return app;
}

/** Service API limits: shared through Redis when there is one, else this process's memory. */
function serviceLimits(config: Config, redis: Redis | undefined): Limits {
  const settings = {
    defaultRpm: config.chat.defaultRpm,
    defaultRph: config.chat.defaultRph,
    maxConcurrentPerApp: config.chat.maxConcurrentPerApp,
  };
  return redis ? new RedisLimits(redis, settings) : new MemoryLimits(settings);
}

export function identitySettings(config: Config): IdentitySettings {
  const defaults = defaultIdentitySettings(config.secrets.secretKey);
  return {
    ...defaults,
    previousRootSecrets: config.secrets.previousSecretKey ? [config.secrets.previousSecretKey] : [],
    session: {
      ...defaults.session,
      idleMinutes: config.identity.sessionIdleMinutes,
      absoluteHours: config.identity.sessionAbsoluteHours,
    },
    lockout: {
      ...defaults.lockout,
      maxFailures: config.identity.lockoutMaxFailures,
      lockMinutes: config.identity.lockoutMinutes,
      ipMaxFailures: config.identity.loginIpMaxFailures,
    },
  };
}

/**
 * Once shutdown starts, every response closes its connection: a keep-alive connection that was
 * busy when SIGTERM arrived would otherwise hold `close()` open until its idle timeout.
 */
function closeConnectionsWhenDraining(app: FastifyInstance): void {
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  app.addHook("onSend", async (_request, reply) => {
    if (draining) reply.header("connection", "close");
  });
}
