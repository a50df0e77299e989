import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  type AuditSettings,
  checkpointOrHeartbeat,
  createGuardedFetch,
  Envelope,
  LocalFileStore,
  outboundFetch,
  systemCtx,
  issueSetupToken,
  startShipping,
  type AuditSink,
  type Queue,
} from "@enclave/core";
import { FileSink } from "./audit-sinks/file-sink.ts";
import { HttpSink } from "./audit-sinks/http-sink.ts";
import { SyslogSink } from "./audit-sinks/syslog-sink.ts";
import type { DatabaseHandle } from "@enclave/db";
import { Redis } from "ioredis";
import type { Config } from "./config.ts";
import { buildApp, type RoutePlugin } from "./http/build-app.ts";
import { createLogger } from "./http/logger.ts";
import { openRuntime, shouldAutoMigrate } from "./runtime.ts";
import { registerProcessors } from "./worker/processors.ts";
import { consoleSecretSettings, openAuditSettings, openKekRing, openSecretResolver } from "./secrets.ts";
import { startWorkspaceSinks } from "./audit-sinks/workspace-sinks.ts";

export type ProcessKind = "start" | "serve" | "worker";

export interface RunOptions {
  logger?: Logger;
  /** Test fixtures add probe routes here; the product never does. */
  extraRoutes?: RoutePlugin[];
}

/**
 * Runs an Enclave process until SIGTERM/SIGINT: `start` = API + worker, `serve` = API,
 * `worker` = jobs only. On a signal it stops accepting work, lets in-flight requests and jobs
 * finish, closes the queue and the database, and exits 0 (1 if that exceeds the timeout).
 */
export async function runProcess(kind: ProcessKind, config: Config, opts: RunOptions = {}): Promise<void> {
  const log = opts.logger ?? createLogger(config.log.level);
  for (const warning of config.warnings) log.warn(warning);
  const runtime = await openRuntime(config, log, { migrate: shouldAutoMigrate(config, kind) });

  let stopBackground = async () => {};
  if (kind !== "serve") {
    const references = consoleSecretSettings(config, runtime.database.db, log);
    registerProcessors(runtime.queue, log, {
      db: runtime.database.db,
      services: {
        queue: runtime.queue,
        envelope: new Envelope(runtime.database.db, openKekRing(config)),
        outbound: { allowlist: config.outboundAllowlist },
        files: new LocalFileStore(join(config.dataDir, "files")),
        ...(references ? { secrets: references } : {}),
      },
    });
    await runtime.queue.start();
    const stopCheckpoints = startAuditCheckpoints(
      config,
      await openAuditSettings(config),
      runtime.database,
      log,
    );
    const stopRetention = startRetentionPurge(config, runtime.queue, log);
    const sinks = auditSinks(config, log);
    const stopShipping = sinks.length > 0 ? startShipping(runtime.database.db, sinks, log) : async () => {};
    if (sinks.length > 0) log.info({ sinks: sinks.map((s) => s.id) }, "shipping the audit trail");
    const stopWorkspaceSinks = startWorkspaceSinks({
      db: runtime.database.db,
      envelope: new Envelope(runtime.database.db, openKekRing(config)),
      ...(references ? { references } : {}),
      fetchFor: (workspaceId) =>
        outboundFetch({
          ...systemCtx(
            { db: runtime.database.db, log, services: { outbound: { allowlist: config.outboundAllowlist } } },
            "audit-shipper",
            "worker",
          ),
          workspace: { id: workspaceId },
        }),
      log,
    });
    stopBackground = async () => {
      stopCheckpoints();
      stopRetention();
      await stopShipping();
      await stopWorkspaceSinks();
    };
  }
  if (kind === "worker") {
    log.info({ queue: runtime.queue.kind }, "worker started");
    exitOnSignal(config.server.shutdownTimeoutMs, log, async () => {
      await stopBackground();
      await runtime.close();
    });
    return;
  }

  // Rate-limit counters are shared across replicas through Redis when there is one.
  const redis = config.redis.url ? new Redis(config.redis.url, { maxRetriesPerRequest: 2 }) : undefined;
  redis?.on("error", (err: Error) => log.warn({ err: err.message }, "redis (rate limits) connection error"));
  const app = await buildApp(config, {
    database: runtime.database,
    queue: runtime.queue,
    logger: log,
    ...(redis ? { redis } : {}),
    ...(opts.extraRoutes ? { extraRoutes: opts.extraRoutes } : {}),
  });
  exitOnSignal(config.server.shutdownTimeoutMs, log, async () => {
    await app.close();
    await stopBackground();
    await runtime.close();
    await redis?.quit();
  });
  await app.listen({ host: config.server.host, port: config.server.port });
  await announceSetupToken(config, runtime.database, log);
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.server.port;
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  const url = config.server.publicUrl ?? `http://${host}:${port}`;
  log.info({ url, database: runtime.database.kind, queue: runtime.queue.kind }, "enclave is listening");
  process.stdout.write(`Enclave is running at ${url}\n`);
}

function exitOnSignal(timeoutMs: number, log: Logger, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down");
    setTimeout(() => {
      log.error({ timeoutMs }, "shutdown timed out, forcing exit");
      process.exit(1);
    }, timeoutMs).unref();
    close().then(
      () => {
        log.info("shutdown complete");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

/**
 * Until an owner exists there is no account at all: the operator proves they run this server by
 * presenting a one-time token printed here (to the terminal, not the shipped JSON log) and written
 * to `<dataDir>/setup-token` (0600).
 */
async function announceSetupToken(config: Config, database: DatabaseHandle, log: Logger): Promise<void> {
  const token = await issueSetupToken(database.db);
  if (!token) return;
  const path = join(config.dataDir, "setup-token");
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  log.info({ path }, "setup required: a one-time setup token was written");
  process.stdout.write(
    `First-run setup: open the console and enter this one-time setup token:\n  ${token}\n(also in ${path})\n`,
  );
}

/** Signs a Merkle checkpoint over new audit events every AUDIT_CHECKPOINT_SECONDS. */
function startAuditCheckpoints(
  config: Config,
  settings: AuditSettings,
  database: DatabaseHandle,
  log: Logger,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkpointOrHeartbeat(database.db, settings, config.audit.heartbeatSeconds * 1000)
      .then((cp) => cp && log.info({ size: cp.size, root: cp.rootHash }, "audit checkpoint signed"))
      .catch((err: unknown) => log.error({ err }, "audit checkpoint failed"))
      .finally(() => (running = false));
  }, config.audit.checkpointSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Enqueues the retention purge now and every RETENTION_PURGE_MINUTES. The job id names the period,
 * so several worker processes enqueue it once per period between them.
 */
function startRetentionPurge(config: Config, queue: Queue, log: Logger): () => void {
  const periodMs = config.chat.retentionPurgeMinutes * 60_000;
  const enqueue = () => {
    const period = Math.floor(Date.now() / periodMs);
    queue
      .enqueue("apps.retention_purge", {}, { jobId: `retention-purge-${period}`, attempts: 1 })
      .catch((err: unknown) => log.error({ err }, "could not enqueue the retention purge"));
  };
  enqueue();
  const timer = setInterval(enqueue, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}

function auditSinks(config: Config, log: Logger): AuditSink[] {
  const { ship } = config.audit;
  const sinks: AuditSink[] = [];
  if (ship.fileDir) sinks.push(new FileSink(ship.fileDir, ship.fileMaxBytes));
  if (ship.syslogUrl) sinks.push(new SyslogSink({ url: ship.syslogUrl, caFile: ship.syslogCaFile }));
  if (ship.httpUrl) {
    // A header given as a secret-store reference is re-read (cached, TTL) before each batch, so
    // rotating it in Vault or AWS needs no restart.
    const reference = config.references.AUDIT_SHIP_HTTP_AUTHORIZATION;
    const resolver = reference ? openSecretResolver(config, log) : undefined;
    sinks.push(
      new HttpSink({
        url: ship.httpUrl,
        format: ship.httpFormat,
        authorization: reference && resolver ? () => resolver.resolve(reference) : ship.httpAuthorization,
        fetch: createGuardedFetch({ allowlist: config.outboundAllowlist }),
      }),
    );
  }
  return sinks;
}
