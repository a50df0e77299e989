import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import {
  CreateDatasetInput,
  RetrievalSettings,
  UpdateDatasetInput,
  type DatasetView,
  type ListQuery,
  type Page,
} from "@enclave/contracts";
import {
  datasetPermissions,
  datasets,
  documents,
  hasSqlState,
  modelProviders,
  workspaceMembers,
  type Transaction,
} from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { actingAccount, loadDataset, workspaceDatasets, type DatasetRow } from "./dataset-access.ts";
import { requireVectorStore, deleteDatasetEmbeddings } from "./vector-store.ts";
import { enqueueIndexing } from "./indexing-queue.ts";
import { datasetIdsWithAnyTag } from "./tags.ts";

function duplicateName(): AppError {
  return new AppError("dataset_name_duplicate", "a knowledge base with this name already exists");
}

/** Creates a knowledge base; high_quality needs an embedding model and pgvector. */
export async function createDataset(ctx: Ctx, raw: CreateDatasetInput): Promise<DatasetView> {
  requirePermission(ctx, "dataset.manage");
  const input = CreateDatasetInput.parse(raw);
  if (input.indexingTechnique === "high_quality") await requireEmbeddingSetup(ctx, input.embeddingModel);
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      const [row] = await tx
        .insert(datasets)
        .values({
          workspaceId: txCtx.workspace!.id,
          name: input.name,
          description: input.description,
          permission: input.permission,
          indexingTechnique: input.indexingTechnique,
          embeddingProviderId: input.embeddingModel?.providerId ?? null,
          embeddingModel: input.embeddingModel?.name ?? null,
          retrievalModel: RetrievalSettings.parse(input.retrieval ?? {}),
          createdBy: actingAccount(txCtx),
        })
        .returning();
      const memberIds = await replaceMembers(tx, txCtx, row!, input.memberIds ?? []);
      await emitAudit(tx, txCtx, {
        action: "dataset.create",
        target: { type: "dataset", id: row!.id },
        details: {
          permission: row!.permission,
          indexingTechnique: row!.indexingTechnique,
          members: memberIds.length,
        },
      });
      return toDatasetView(row!, memberIds, { documents: 0, words: 0 });
    });
  } catch (err) {
    if (hasSqlState(err, "23505")) throw duplicateName();
    throw err;
  }
}

/** The datasets this actor may see, newest first. */
/** Visible datasets, newest first; `tagIds`: only those carrying at least one of these tags. */
export async function listDatasets(
  ctx: Ctx,
  query: ListQuery,
  opts: { tagIds?: string[] } = {},
): Promise<Page<DatasetView>> {
  requirePermission(ctx, "dataset.read");
  const where = and(
    workspaceDatasets(ctx),
    query.keyword ? sql`position(lower(${query.keyword}) in lower(${datasets.name})) > 0` : undefined,
    opts.tagIds?.length ? inArray(datasets.id, datasetIdsWithAnyTag(ctx.db, opts.tagIds)) : undefined,
  );
  const [total] = await ctx.db.select({ n: count() }).from(datasets).where(where);
  const rows = await ctx.db
    .select()
    .from(datasets)
    .where(where)
    .orderBy(desc(datasets.createdAt), desc(datasets.id))
    .limit(query.limit)
    .offset((query.page - 1) * query.limit);
  const views = await Promise.all(rows.map((r) => viewOf(ctx, r)));
  const n = total?.n ?? 0;
  return {
    data: views,
    page: query.page,
    limit: query.limit,
    total: n,
    hasMore: query.page * query.limit < n,
  };
}

export async function getDataset(ctx: Ctx, datasetId: string): Promise<DatasetView> {
  return viewOf(ctx, await loadDataset(ctx.db, ctx, datasetId));
}

/**
 * Edits a dataset. economy → high_quality embeds every document (in the worker); the reverse is
 * refused (the embeddings would be thrown away silently). A new embedding model re-embeds too.
 */
export async function updateDataset(
  ctx: Ctx,
  datasetId: string,
  raw: UpdateDatasetInput,
): Promise<DatasetView> {
  const input = UpdateDatasetInput.parse(raw);
  const current = await loadDataset(ctx.db, ctx, datasetId, { manage: true });
  const technique = input.indexingTechnique ?? current.indexingTechnique;
  if (current.indexingTechnique === "high_quality" && technique === "economy") {
    throw new AppError("bad_request", "a high_quality knowledge base cannot be downgraded to economy");
  }
  const model =
    input.embeddingModel !== undefined
      ? input.embeddingModel
      : current.embeddingProviderId && current.embeddingModel
        ? { providerId: current.embeddingProviderId, name: current.embeddingModel }
        : null;
  if (technique === "high_quality") await requireEmbeddingSetup(ctx, model);
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      const row = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
      const set: Partial<typeof datasets.$inferInsert> = {};
      const changed: string[] = [];
      for (const field of ["name", "description", "permission", "indexingTechnique"] as const) {
        if (input[field] !== undefined && input[field] !== row[field]) {
          Object.assign(set, { [field]: input[field] });
          changed.push(field);
        }
      }
      const modelChanged =
        (model?.providerId ?? null) !== row.embeddingProviderId ||
        (model?.name ?? null) !== row.embeddingModel;
      if (input.embeddingModel !== undefined && modelChanged) {
        set.embeddingProviderId = model?.providerId ?? null;
        set.embeddingModel = model?.name ?? null;
        changed.push("embeddingModel");
      }
      if (input.retrieval) {
        set.retrievalModel = input.retrieval;
        changed.push("retrieval");
      }
      let members: string[] | null = null;
      if (input.memberIds !== undefined) {
        members = await replaceMembers(tx, txCtx, row, input.memberIds);
        changed.push("members");
      }
      const updated =
        Object.keys(set).length > 0
          ? (await tx.update(datasets).set(set).where(eq(datasets.id, row.id)).returning())[0]!
          : row;
      const reembed =
        updated.indexingTechnique === "high_quality" &&
        (row.indexingTechnique === "economy" || (modelChanged && input.embeddingModel !== undefined));
      if (reembed) await scheduleReembedding(tx, txCtx, updated);
      if (changed.length > 0) {
        await emitAudit(tx, txCtx, {
          action: "dataset.update",
          target: { type: "dataset", id: row.id },
          details: { changed, ...(reembed ? { reembed: true } : {}) },
        });
      }
      return viewOf(txCtx, updated, members ?? undefined);
    });
  } catch (err) {
    if (hasSqlState(err, "23505")) throw duplicateName();
    throw err;
  }
}

/** Deletes a dataset with its documents, chunks, embeddings and stored originals. */
export async function deleteDataset(ctx: Ctx, datasetId: string): Promise<void> {
  const keys = await withTransaction(ctx, async (tx, txCtx) => {
    const row = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    const files = await tx
      .select({ key: documents.fileKey, pending: documents.pendingUpdate })
      .from(documents)
      .where(eq(documents.datasetId, row.id));
    await tx.delete(datasets).where(eq(datasets.id, row.id));
    await emitAudit(tx, txCtx, {
      action: "dataset.delete",
      target: { type: "dataset", id: row.id },
      details: { documents: files.length, createdBy: row.createdBy },
    });
    return files.flatMap((f) => (f.pending ? [f.key, f.pending.fileKey] : [f.key]));
  });
  // After commit: a failed delete leaves an orphan file, never a document without its file.
  for (const key of keys) await ctx.services.files?.delete(key).catch(() => undefined);
}

/** Replaces a partial_members dataset's member list (the creator is always implied). */
export async function setDatasetMembers(
  ctx: Ctx,
  datasetId: string,
  memberIds: string[],
): Promise<DatasetView> {
  return updateDataset(ctx, datasetId, { memberIds });
}

async function replaceMembers(
  tx: Transaction,
  ctx: Ctx,
  row: DatasetRow,
  memberIds: string[],
): Promise<string[]> {
  const wanted = [...new Set(memberIds)];
  if (wanted.length > 0) {
    const found = await tx
      .select({ id: workspaceMembers.accountId })
      .from(workspaceMembers)
      .where(
        and(eq(workspaceMembers.workspaceId, row.workspaceId), inArray(workspaceMembers.accountId, wanted)),
      );
    if (found.length !== wanted.length) {
      throw new AppError("validation_failed", "every member must belong to this workspace");
    }
  }
  const before = await tx
    .select({ id: datasetPermissions.accountId })
    .from(datasetPermissions)
    .where(eq(datasetPermissions.datasetId, row.id));
  await tx.delete(datasetPermissions).where(eq(datasetPermissions.datasetId, row.id));
  if (wanted.length > 0) {
    await tx
      .insert(datasetPermissions)
      .values(wanted.map((accountId) => ({ workspaceId: row.workspaceId, datasetId: row.id, accountId })));
  }
  const old = new Set(before.map((b) => b.id));
  const added = wanted.filter((id) => !old.has(id));
  const removed = [...old].filter((id) => !wanted.includes(id));
  if (added.length + removed.length > 0) {
    await emitAudit(tx, ctx, {
      action: "dataset.members.update",
      target: { type: "dataset", id: row.id },
      details: { added, removed },
    });
  }
  return wanted;
}

/** Every completed or failed document goes back to indexing; the worker embeds what is missing. */
async function scheduleReembedding(tx: Transaction, ctx: Ctx, row: DatasetRow): Promise<void> {
  await deleteDatasetEmbeddings(tx, row.id);
  const docs = await tx
    .update(documents)
    .set({ status: "waiting", progressDone: 0, error: null, completedAt: null })
    .where(eq(documents.datasetId, row.id))
    .returning({ id: documents.id });
  for (const d of docs) await enqueueIndexing(tx, ctx, row.workspaceId, d.id);
}

async function requireEmbeddingSetup(
  ctx: Ctx,
  model: { providerId: string; name: string } | null,
): Promise<void> {
  await requireVectorStore(ctx.db);
  if (!model) throw new AppError("dataset_not_initialized", "high_quality indexing needs an embedding model");
  const [provider] = await ctx.db
    .select({ id: modelProviders.id })
    .from(modelProviders)
    .where(
      and(eq(modelProviders.id, model.providerId), eq(modelProviders.workspaceId, ctx.workspace?.id ?? "")),
    )
    .limit(1);
  if (!provider)
    throw new AppError("provider_not_initialize", "the model provider is not configured in this workspace");
}

async function viewOf(ctx: Ctx, row: DatasetRow, members?: string[]): Promise<DatasetView> {
  const memberIds =
    members ??
    (
      await ctx.db
        .select({ id: datasetPermissions.accountId })
        .from(datasetPermissions)
        .where(eq(datasetPermissions.datasetId, row.id))
        .orderBy(asc(datasetPermissions.createdAt))
    ).map((m) => m.id);
  const [stats] = await ctx.db
    .select({ documents: count(), words: sql<number>`coalesce(sum(${documents.wordCount}), 0)::int` })
    .from(documents)
    .where(eq(documents.datasetId, row.id));
  return toDatasetView(row, memberIds, { documents: stats?.documents ?? 0, words: stats?.words ?? 0 });
}

export function toDatasetView(
  row: DatasetRow,
  memberIds: string[],
  stats: { documents: number; words: number },
): DatasetView {
  const retrieval = RetrievalSettings.safeParse(row.retrievalModel ?? {});
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permission: row.permission,
    indexingTechnique: row.indexingTechnique,
    embeddingModel:
      row.embeddingProviderId && row.embeddingModel
        ? { providerId: row.embeddingProviderId, name: row.embeddingModel }
        : null,
    retrieval: retrieval.success ? retrieval.data : RetrievalSettings.parse({}),
    memberIds,
    documentCount: stats.documents,
    wordCount: stats.words,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
