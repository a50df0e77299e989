import { and, eq } from "drizzle-orm";
import type { AppConfig, AppMode } from "@enclave/contracts";
import { apps, appVersions } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { parseStoredConfig } from "./app-rows.ts";

/** The published app a service API / web app request is served by. */
export interface ServingApp {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  mode: AppMode;
  icon: string;
  /** Null for a draft run from the console. */
  versionId: string | null;
  config: AppConfig;
  retainContent: boolean;
  limits: { rpm: number | null; rph: number | null; maxConcurrent: number | null };
}

interface Cached {
  at: number;
  workspaceId: string;
  app: ServingApp | null;
  enableApi: boolean;
  enableSite: boolean;
}

// Every service API request needs its app; a short-lived per-process cache saves that query on hot
// paths. Verbs that change an app drop its entry after COMMIT; other processes see changes ≤ TTL late.
const CACHE_TTL_MS = 2000;
const MAX_CACHED = 10_000;
const cache = new Map<string, Cached>();

/** Drops an app from this process's serving cache (after update, publish, delete). */
export function invalidateServingApp(appId: string): void {
  cache.delete(appId);
}

/** Empties the serving cache (tests that change apps behind the verbs' back). */
export function clearServingAppCache(): void {
  cache.clear();
}

/**
 * The published version of the ctx actor's app (an apiKey or endUser actor). Throws
 * `app_unavailable` when the app has no published version or the channel is switched off.
 */
export async function loadServingApp(ctx: Ctx, channel: "api" | "web"): Promise<ServingApp> {
  const { actor } = ctx;
  if ((actor.type !== "apiKey" && actor.type !== "endUser") || !ctx.workspace) {
    throw new AppError("forbidden", "only an app's own callers are served by it");
  }
  const workspaceId = ctx.workspace.id;
  const key = actor.appId;
  let entry = cache.get(key);
  if (!entry || Date.now() - entry.at > CACHE_TTL_MS || entry.workspaceId !== workspaceId) {
    entry = await fetchServing(ctx, actor.appId, workspaceId);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, entry);
  }
  if (!entry.app) throw new AppError("app_unavailable", "the app is not published");
  if (channel === "api" && !entry.enableApi) {
    throw new AppError("app_unavailable", "the app's service API is switched off");
  }
  if (channel === "web" && !entry.enableSite) {
    throw new AppError("app_unavailable", "the app's web access is switched off");
  }
  return entry.app;
}

async function fetchServing(ctx: Ctx, appId: string, workspaceId: string): Promise<Cached> {
  const [row] = await ctx.db
    .select({ app: apps, versionId: appVersions.id, config: appVersions.config })
    .from(apps)
    .leftJoin(appVersions, eq(appVersions.id, apps.publishedVersionId))
    .where(and(eq(apps.id, appId), eq(apps.workspaceId, workspaceId)))
    .limit(1);
  if (!row) throw new AppError("app_unavailable", "the app is not available");
  const { app } = row;
  const base = { at: Date.now(), workspaceId, enableApi: app.enableApi, enableSite: app.enableSite };
  if (!row.versionId || !row.config) return { ...base, app: null };
  return {
    ...base,
    app: {
      id: app.id,
      workspaceId: app.workspaceId,
      name: app.name,
      description: app.description,
      mode: app.mode,
      icon: app.icon,
      versionId: row.versionId,
      config: parseStoredConfig(row.config),
      retainContent: app.retainContent,
      limits: { rpm: app.apiRpm, rph: app.apiRph, maxConcurrent: app.maxConcurrentRequests },
    },
  };
}
