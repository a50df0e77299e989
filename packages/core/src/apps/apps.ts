import { desc, eq } from "drizzle-orm";
import { AppConfig, CreateAppInput, UpdateAppInput, type AppView } from "@enclave/contracts";
import { apps, appVersions, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { onAfterCommit, withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { canonicalJson } from "../audit/canonical-json.ts";
import {
  actingAccountId,
  loadAppRow,
  loadPublishedRef,
  parseStoredConfig,
  publishedColumns,
  toAppView,
  type AppRow,
} from "./app-rows.ts";
import { mayChangeLogPolicy } from "./log-access.ts";
import { invalidateServingApp } from "./serving.ts";
import { forgetAppKeys } from "./api-keys.ts";
import { assertCanAttachDatasets } from "../knowledge/hit-testing.ts";

/** Creates an app with a draft configuration; the creator is remembered (log visibility uses it). */
export async function createApp(ctx: Ctx, raw: CreateAppInput): Promise<AppView> {
  requirePermission(ctx, "app.create");
  const input = CreateAppInput.parse(raw);
  const config = input.config ?? AppConfig.parse({});
  return withTransaction(ctx, async (tx, txCtx) => {
    await assertCanAttachDatasets(txCtx, config.datasets.datasetIds);
    const [row] = await tx
      .insert(apps)
      .values({
        workspaceId: txCtx.workspace!.id,
        name: input.name,
        description: input.description,
        mode: input.mode,
        ...(input.icon ? { icon: input.icon } : {}),
        draftConfig: config,
        createdBy: actingAccountId(txCtx),
      })
      .returning();
    await emitAudit(tx, txCtx, {
      action: "app.create",
      target: { type: "app", id: row!.id },
      details: { mode: input.mode },
    });
    return toAppView(row!, null);
  });
}

/** The workspace's apps, newest first. */
export async function listApps(ctx: Ctx): Promise<AppView[]> {
  requirePermission(ctx, "app.read");
  const rows = await ctx.db
    .select({ app: apps, published: publishedColumns })
    .from(apps)
    .leftJoin(appVersions, eq(appVersions.id, apps.publishedVersionId))
    .where(eq(apps.workspaceId, ctx.workspace!.id))
    .orderBy(desc(apps.createdAt), desc(apps.id));
  return rows.map((r) => toAppView(r.app, r.published?.id ? r.published : null));
}

export async function getApp(ctx: Ctx, appId: string): Promise<AppView> {
  requirePermission(ctx, "app.read");
  const row = await loadAppRow(ctx.db, ctx, appId);
  return toAppView(row, await loadPublishedRef(ctx.db, row));
}

// Settings that decide who may read other people's conversations: see log-access.ts.
const PRIVACY_FIELDS = ["logVisibility", "retainContent", "retentionDays"] as const;
const PLAIN_FIELDS = [
  "name",
  "description",
  "icon",
  "enableApi",
  "enableSite",
  "siteRequireLogin",
  "apiRpm",
  "apiRph",
  "maxConcurrentRequests",
  "maxApiKeys",
] as const;

/**
 * The datasets `next` attaches that the draft `draft` does not must be ones the actor may attach;
 * keeping one a colleague attached is fine.
 */
export async function assertCanAttachNewDatasets(ctx: Ctx, draft: unknown, next: AppConfig): Promise<void> {
  const before = new Set(parseStoredConfig(draft).datasets.datasetIds);
  await assertCanAttachDatasets(
    ctx,
    next.datasets.datasetIds.filter((id) => !before.has(id)),
  );
}

/**
 * Edits an app's draft configuration and settings. The published version is untouched until the
 * next publish. Privacy settings need owner/admin (see mayChangeLogPolicy), and so do the sites
 * allowed to embed the web app.
 */
export async function updateApp(ctx: Ctx, appId: string, raw: UpdateAppInput): Promise<AppView> {
  requirePermission(ctx, "app.update");
  const input = UpdateAppInput.parse(raw);
  const role = ctx.actor.type === "user" ? ctx.actor.role : null;
  return withTransaction(ctx, async (tx, txCtx) => {
    const row = await loadAppRow(tx, txCtx, appId, { forUpdate: true });
    const set: Partial<typeof apps.$inferInsert> = {};
    const changed: string[] = [];
    const privacy: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of PLAIN_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== row[field]) {
        Object.assign(set, { [field]: value });
        changed.push(field);
      }
    }
    const origins = input.siteEmbedOrigins;
    const embed: Record<string, { from: unknown; to: unknown }> = {};
    if (origins && origins.join(" ") !== row.siteEmbedOrigins.join(" ")) {
      // Which sites may frame the app (and get its cookies there) is a security call, not an edit.
      if (ctx.actor.type !== "system" && role !== "owner" && role !== "admin") {
        throw new AppError(
          "forbidden",
          "only the owner or an admin may choose which sites can embed this app",
        );
      }
      set.siteEmbedOrigins = origins;
      embed.siteEmbedOrigins = { from: row.siteEmbedOrigins, to: origins };
    }
    for (const field of PRIVACY_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== row[field]) {
        Object.assign(set, { [field]: value });
        privacy[field] = { from: row[field], to: value };
      }
    }
    if (Object.keys(privacy).length > 0 && ctx.actor.type !== "system") {
      if (!mayChangeLogPolicy(role, row.logVisibility)) {
        throw new AppError("forbidden", "only the owner or an admin may change who can read this app's logs");
      }
    }
    const configChanges = input.config ? changedConfigKeys(row, input.config) : [];
    if (input.config) await assertCanAttachNewDatasets(txCtx, row.draftConfig, input.config);
    if (configChanges.length > 0) set.draftConfig = input.config!;
    if (Object.keys(set).length === 0) return toAppView(row, await loadPublishedRef(tx, row));

    const [updated] = await tx.update(apps).set(set).where(eq(apps.id, row.id)).returning();
    await emitAudit(tx, txCtx, {
      action: "app.update",
      target: { type: "app", id: row.id },
      details: {
        changed: [
          ...changed,
          ...Object.keys(embed),
          ...Object.keys(privacy),
          ...configChanges.map((k) => `config.${k}`),
        ],
        ...embed,
        ...privacy,
      },
    });
    afterCommitInvalidate(tx, row.id);
    return toAppView(updated!, await loadPublishedRef(tx, updated!));
  });
}

/** Deletes an app with its versions, keys, conversations and usage. */
export async function deleteApp(ctx: Ctx, appId: string): Promise<void> {
  requirePermission(ctx, "app.delete");
  await withTransaction(ctx, async (tx, txCtx) => {
    const row = await loadAppRow(tx, txCtx, appId, { forUpdate: true });
    await tx.delete(apps).where(eq(apps.id, row.id));
    await emitAudit(tx, txCtx, {
      action: "app.delete",
      target: { type: "app", id: row.id },
      details: { mode: row.mode, createdBy: row.createdBy },
    });
    afterCommitInvalidate(tx, row.id);
    if (!onAfterCommit(tx, async () => forgetAppKeys(row.id))) forgetAppKeys(row.id);
  });
}

/** Top-level config keys whose value differs (names only: the audit never holds prompt text). */
function changedConfigKeys(row: AppRow, next: AppConfig): string[] {
  const current = parseStoredConfig(row.draftConfig) as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  return Object.keys(after).filter(
    (k) => canonicalJson(current[k] ?? null) !== canonicalJson(after[k] ?? null),
  );
}

/** Drops the app from the serving cache once the change is committed (not before: a reader could re-cache the old row). */
export function afterCommitInvalidate(tx: Transaction, appId: string): void {
  if (!onAfterCommit(tx, async () => invalidateServingApp(appId))) invalidateServingApp(appId);
}
