import type { LogFn } from "pino";
import type { Role } from "@enclave/contracts";
import type { Database } from "@enclave/db";
import type { Queue } from "../jobs/queue.ts";
import type { IdentitySettings } from "../identity/settings.ts";
import type { AuditSettings } from "../audit/checkpoint.ts";
import type { Envelope } from "../crypto/envelope.ts";
import type { Resolver } from "../net/guarded-fetch.ts";
import type { FileStore } from "../files/file-store.ts";
import type { TaskRegistry } from "../chat/tasks.ts";
import type { Limits } from "../limits/limits.ts";
import type { ConsoleSecretSettings } from "../secrets/console-references.ts";

/** Who is acting. Every verb sees exactly one of these, never a loose user id. */
export type Actor =
  | { type: "user"; accountId: string; sessionId: string | null; role: Role | null }
  | { type: "apiKey"; keyId: string; appId: string }
  | { type: "endUser"; endUserId: string; appId: string }
  /** A knowledge service API key (`dataset-…`): the workspace's datasets, nothing else. */
  | { type: "datasetKey"; keyId: string }
  | { type: "system"; name: string }
  | { type: "anonymous" };

/** The slice of a pino logger domain code uses; satisfied by pino and by Fastify's request log. */
export interface Log {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
  child(bindings: Record<string, unknown>): Log;
}

export interface WorkspaceRef {
  readonly id: string;
}

/** Long-lived collaborators a verb may need; grows as capabilities arrive. */
export interface Services {
  queue?: Queue;
  identity?: IdentitySettings;
  audit?: AuditSettings;
  /** Encrypts tenant secrets (provider credentials, sink tokens) under per-workspace data keys. */
  envelope?: Envelope;
  /** Outbound HTTP policy: deployment-wide allowlist (OUTBOUND_ALLOWLIST) and, in tests, a DNS stub. */
  outbound?: { allowlist: string[]; resolve?: Resolver; timeoutMs?: number };
  /** Uploaded originals (chat files, knowledge documents). */
  files?: FileStore;
  /** Running generations, so a stop request can abort one (shared across replicas when Redis is). */
  tasks?: TaskRegistry;
  /** Service API request, concurrency and failed-authentication limits (Redis or in-memory). */
  limits?: Limits;
  /** Secret-store references typed into the console: where they may point, and how they resolve. */
  secrets?: ConsoleSecretSettings;
}

/** Everything a domain verb needs, passed explicitly: no globals, no service locator. */
export interface Ctx {
  db: Database;
  workspace: WorkspaceRef | null;
  actor: Actor;
  requestId: string;
  log: Log;
  ip: string | null;
  userAgent: string | null;
  services: Services;
}

export function actorId(actor: Actor): string | null {
  switch (actor.type) {
    case "user":
      return actor.accountId;
    case "apiKey":
      return actor.keyId;
    case "endUser":
      return actor.endUserId;
    case "datasetKey":
      return actor.keyId;
    case "system":
      return actor.name;
    case "anonymous":
      return null;
  }
}

/** A context for work no person started: migrations, schedulers, job processors. */
export function systemCtx(base: Pick<Ctx, "db" | "log" | "services">, name: string, requestId: string): Ctx {
  return {
    ...base,
    workspace: null,
    actor: { type: "system", name },
    requestId,
    ip: null,
    userAgent: null,
  };
}
