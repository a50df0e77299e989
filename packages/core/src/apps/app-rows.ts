import { and, eq } from "drizzle-orm";
import { AppConfig, type AppView } from "@enclave/contracts";
import { apps, appVersions, type Database, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";

export type AppRow = typeof apps.$inferSelect;
export type PublishedRef = { id: string; version: number; createdAt: Date } | null;

/** The columns of an app's published version that its view shows. */
export const publishedColumns = {
  id: appVersions.id,
  version: appVersions.version,
  createdAt: appVersions.createdAt,
};

/**
 * One app of the ctx workspace, or 404 (also for another workspace's id: no existence oracle).
 * `forUpdate` locks the row for the rest of the transaction (publishing, key limits).
 */
export async function loadAppRow(
  db: Database | Transaction,
  ctx: Ctx,
  appId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<AppRow> {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) throw new AppError("not_found", "app not found");
  const query = db
    .select()
    .from(apps)
    .where(and(eq(apps.id, appId), eq(apps.workspaceId, workspaceId)))
    .limit(1);
  const [row] = opts.forUpdate ? await query.for("update") : await query;
  if (!row) throw new AppError("not_found", "app not found");
  return row;
}

export async function loadPublishedRef(db: Database | Transaction, row: AppRow): Promise<PublishedRef> {
  if (!row.publishedVersionId) return null;
  const [version] = await db
    .select(publishedColumns)
    .from(appVersions)
    .where(eq(appVersions.id, row.publishedVersionId))
    .limit(1);
  return version ?? null;
}

/** Parses a stored config; rows written before a schema change still read (defaults fill gaps). */
export function parseStoredConfig(raw: unknown): AppConfig {
  const parsed = AppConfig.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  throw new AppError("internal_error", "stored app configuration is invalid");
}

export function toAppView(row: AppRow, published: PublishedRef): AppView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    mode: row.mode,
    icon: row.icon,
    config: parseStoredConfig(row.draftConfig),
    publishedVersion: published
      ? { id: published.id, version: published.version, publishedAt: published.createdAt.toISOString() }
      : null,
    enableApi: row.enableApi,
    enableSite: row.enableSite,
    siteCode: row.siteCode,
    siteRequireLogin: row.siteRequireLogin,
    siteEmbedOrigins: row.siteEmbedOrigins,
    logVisibility: row.logVisibility,
    retainContent: row.retainContent,
    retentionDays: row.retentionDays,
    apiRpm: row.apiRpm,
    apiRph: row.apiRph,
    maxConcurrentRequests: row.maxConcurrentRequests,
    maxApiKeys: row.maxApiKeys,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The account acting, when it is a person (apps remember who created them). */
export function actingAccountId(ctx: Ctx): string | null {
  return ctx.actor.type === "user" ? ctx.actor.accountId : null;
}
