import { and, desc, eq, max } from "drizzle-orm";
import { ModelEntry, type AppConfig, type AppVersionView, type AppView } from "@enclave/contracts";
import { accounts, apps, appVersions, modelProviders, type Database } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { actingAccountId, loadAppRow, loadPublishedRef, parseStoredConfig, toAppView } from "./app-rows.ts";
import { afterCommitInvalidate, assertCanAttachNewDatasets } from "./apps.ts";

/**
 * Freezes the app's draft into a new version (previous + 1) and serves it from now on. The draft's
 * model must name a provider of this workspace (and, when the provider lists its models, one of
 * those chat models): otherwise `provider_not_initialize`, as Dify answers.
 */
export async function publishApp(ctx: Ctx, appId: string): Promise<AppView> {
  requirePermission(ctx, "app.update");
  return withTransaction(ctx, async (tx, txCtx) => {
    // The row lock serialises concurrent publishes of one app, so version numbers never collide.
    const row = await loadAppRow(tx, txCtx, appId, { forUpdate: true });
    const config = parseStoredConfig(row.draftConfig);
    await assertModelConfigured(tx, row.workspaceId, config);
    const [last] = await tx
      .select({ version: max(appVersions.version) })
      .from(appVersions)
      .where(eq(appVersions.appId, row.id));
    const version = (last?.version ?? 0) + 1;
    const [created] = await tx
      .insert(appVersions)
      .values({
        workspaceId: row.workspaceId,
        appId: row.id,
        version,
        config,
        createdBy: actingAccountId(txCtx),
      })
      .returning();
    const [updated] = await tx
      .update(apps)
      .set({ publishedVersionId: created!.id })
      .where(eq(apps.id, row.id))
      .returning();
    await emitAudit(tx, txCtx, {
      action: "app.publish",
      target: { type: "app", id: row.id },
      details: { version, versionId: created!.id },
    });
    afterCommitInvalidate(tx, row.id);
    return toAppView(updated!, { id: created!.id, version, createdAt: created!.createdAt });
  });
}

async function assertModelConfigured(db: Database, workspaceId: string, config: AppConfig): Promise<void> {
  if (!config.model) {
    throw new AppError("provider_not_initialize", "choose a model for the app before publishing it");
  }
  const [provider] = await db
    .select({ settings: modelProviders.settings })
    .from(modelProviders)
    .where(and(eq(modelProviders.id, config.model.providerId), eq(modelProviders.workspaceId, workspaceId)))
    .limit(1);
  if (!provider) {
    throw new AppError(
      "provider_not_initialize",
      "the app's model provider is not configured in this workspace",
    );
  }
  const listed = Array.isArray(provider.settings.models) ? provider.settings.models : [];
  const models = listed.flatMap((m) => {
    const parsed = ModelEntry.safeParse(m);
    return parsed.success ? [parsed.data] : [];
  });
  const name = config.model.name;
  if (models.length > 0 && !models.some((m) => m.name === name && m.type === "llm")) {
    throw new AppError("provider_not_initialize", "the app's model is not one of its provider's chat models");
  }
}

/** The app's published versions, newest first. */
export async function listAppVersions(ctx: Ctx, appId: string): Promise<AppVersionView[]> {
  requirePermission(ctx, "app.read");
  const row = await loadAppRow(ctx.db, ctx, appId);
  const rows = await ctx.db
    .select({ v: appVersions, createdByName: accounts.name })
    .from(appVersions)
    .leftJoin(accounts, eq(accounts.id, appVersions.createdBy))
    .where(eq(appVersions.appId, row.id))
    .orderBy(desc(appVersions.version));
  return rows.map(({ v, createdByName }) => ({
    id: v.id,
    version: v.version,
    config: parseStoredConfig(v.config),
    createdBy: v.createdBy,
    createdByName,
    createdAt: v.createdAt.toISOString(),
  }));
}

/**
 * Copies a published version's configuration into the draft, replacing it; what is served stays
 * the same until the next publish. Only the config: settings (access, limits, log policy) are not
 * versioned and stay as they are.
 */
export async function restoreAppVersion(ctx: Ctx, appId: string, versionId: string): Promise<AppView> {
  requirePermission(ctx, "app.update");
  return withTransaction(ctx, async (tx, txCtx) => {
    const row = await loadAppRow(tx, txCtx, appId, { forUpdate: true });
    const [version] = await tx
      .select({ id: appVersions.id, version: appVersions.version, config: appVersions.config })
      .from(appVersions)
      .where(and(eq(appVersions.id, versionId), eq(appVersions.appId, row.id)))
      .limit(1);
    if (!version) throw new AppError("not_found", "version not found");
    const config = parseStoredConfig(version.config);
    await assertCanAttachNewDatasets(txCtx, row.draftConfig, config);
    const [updated] = await tx
      .update(apps)
      .set({ draftConfig: config })
      .where(eq(apps.id, row.id))
      .returning();
    await emitAudit(tx, txCtx, {
      action: "app.version.restore",
      target: { type: "app", id: row.id },
      details: { version: version.version, versionId: version.id },
    });
    return toAppView(updated!, await loadPublishedRef(tx, updated!));
  });
}
