import { and, asc, count, eq, inArray } from "drizzle-orm";
import { datasetTagBindings, knowledgeTags, type Database, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { actingAccount, loadDataset } from "./dataset-access.ts";

export interface TagView {
  id: string;
  name: string;
  bindingCount: number;
}

function workspaceOf(ctx: Ctx): string {
  if (!ctx.workspace) throw new AppError("unauthorized", "no workspace");
  return ctx.workspace.id;
}

async function loadTag(db: Database | Transaction, ctx: Ctx, tagId: string) {
  const [row] = await db
    .select()
    .from(knowledgeTags)
    .where(and(eq(knowledgeTags.id, tagId), eq(knowledgeTags.workspaceId, workspaceOf(ctx))))
    .limit(1);
  if (!row) throw new AppError("not_found", "tag not found");
  return row;
}

async function withCount(
  db: Database | Transaction,
  row: typeof knowledgeTags.$inferSelect,
): Promise<TagView> {
  const [n] = await db
    .select({ n: count() })
    .from(datasetTagBindings)
    .where(eq(datasetTagBindings.tagId, row.id));
  return { id: row.id, name: row.name, bindingCount: n?.n ?? 0 };
}

async function refuseDuplicate(tx: Transaction, workspaceId: string, name: string): Promise<void> {
  const [dup] = await tx
    .select({ id: knowledgeTags.id })
    .from(knowledgeTags)
    .where(and(eq(knowledgeTags.workspaceId, workspaceId), eq(knowledgeTags.name, name)))
    .limit(1);
  if (dup) throw new AppError("conflict", "a tag of that name exists");
}

export async function createTag(ctx: Ctx, name: string): Promise<TagView> {
  requirePermission(ctx, "dataset.manage");
  return withTransaction(ctx, async (tx, txCtx) => {
    const workspaceId = workspaceOf(txCtx);
    await refuseDuplicate(tx, workspaceId, name);
    const [row] = await tx
      .insert(knowledgeTags)
      .values({ workspaceId, name, createdBy: actingAccount(txCtx) })
      .returning();
    await emitAudit(tx, txCtx, {
      action: "dataset.tag.create",
      target: { type: "tag", id: row!.id },
      details: { name },
    });
    return { id: row!.id, name: row!.name, bindingCount: 0 };
  });
}

/** The workspace's tags with how many datasets carry each (all of them, visible or not: Dify). */
export async function listTags(ctx: Ctx): Promise<TagView[]> {
  requirePermission(ctx, "dataset.read");
  const rows = await ctx.db
    .select({ id: knowledgeTags.id, name: knowledgeTags.name, n: count(datasetTagBindings.id) })
    .from(knowledgeTags)
    .leftJoin(datasetTagBindings, eq(datasetTagBindings.tagId, knowledgeTags.id))
    .where(eq(knowledgeTags.workspaceId, workspaceOf(ctx)))
    .groupBy(knowledgeTags.id, knowledgeTags.name, knowledgeTags.createdAt)
    .orderBy(asc(knowledgeTags.createdAt), asc(knowledgeTags.name));
  return rows.map((r) => ({ id: r.id, name: r.name, bindingCount: r.n }));
}

export async function renameTag(ctx: Ctx, tagId: string, name: string): Promise<TagView> {
  requirePermission(ctx, "dataset.manage");
  return withTransaction(ctx, async (tx, txCtx) => {
    const tag = await loadTag(tx, txCtx, tagId);
    if (tag.name !== name) {
      await refuseDuplicate(tx, tag.workspaceId, name);
      await tx.update(knowledgeTags).set({ name }).where(eq(knowledgeTags.id, tag.id));
      await emitAudit(tx, txCtx, {
        action: "dataset.tag.rename",
        target: { type: "tag", id: tag.id },
        details: { from: tag.name, to: name },
      });
    }
    return withCount(tx, { ...tag, name });
  });
}

export async function deleteTag(ctx: Ctx, tagId: string): Promise<void> {
  requirePermission(ctx, "dataset.manage");
  await withTransaction(ctx, async (tx, txCtx) => {
    const tag = await loadTag(tx, txCtx, tagId);
    await tx.delete(knowledgeTags).where(eq(knowledgeTags.id, tag.id));
    await emitAudit(tx, txCtx, {
      action: "dataset.tag.delete",
      target: { type: "tag", id: tag.id },
      details: { name: tag.name },
    });
  });
}

/**
 * Binds or unbinds tags of the workspace to a dataset the actor may manage. A tag id that is not
 * the workspace's is a 404 and nothing changes (Dify ignores it; a silent no-op hides mistakes).
 */
export async function setDatasetTags(
  ctx: Ctx,
  datasetId: string,
  tagIds: string[],
  bind: boolean,
): Promise<void> {
  const ids = [...new Set(tagIds)];
  await withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    const tags = await tx
      .select({ id: knowledgeTags.id })
      .from(knowledgeTags)
      .where(and(eq(knowledgeTags.workspaceId, dataset.workspaceId), inArray(knowledgeTags.id, ids)));
    if (tags.length !== ids.length) throw new AppError("not_found", "tag not found");
    if (bind) {
      await tx
        .insert(datasetTagBindings)
        .values(
          ids.map((tagId) => ({
            workspaceId: dataset.workspaceId,
            tagId,
            datasetId: dataset.id,
            createdBy: actingAccount(txCtx),
          })),
        )
        .onConflictDoNothing();
    } else {
      await tx
        .delete(datasetTagBindings)
        .where(and(eq(datasetTagBindings.datasetId, dataset.id), inArray(datasetTagBindings.tagId, ids)));
    }
    await emitAudit(tx, txCtx, {
      action: bind ? "dataset.tag.bind" : "dataset.tag.unbind",
      target: { type: "dataset", id: dataset.id },
      details: { tagIds: ids },
    });
  });
}

/** Tags of each given dataset (ids the caller has already loaded, so already visible). */
export async function tagsOfDatasets(
  ctx: Ctx,
  datasetIds: string[],
): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>(datasetIds.map((id) => [id, []]));
  if (datasetIds.length === 0) return out;
  const rows = await ctx.db
    .select({ datasetId: datasetTagBindings.datasetId, id: knowledgeTags.id, name: knowledgeTags.name })
    .from(datasetTagBindings)
    .innerJoin(knowledgeTags, eq(knowledgeTags.id, datasetTagBindings.tagId))
    .where(
      and(
        eq(datasetTagBindings.workspaceId, workspaceOf(ctx)),
        inArray(datasetTagBindings.datasetId, datasetIds),
      ),
    )
    .orderBy(asc(knowledgeTags.name));
  for (const r of rows) out.get(r.datasetId)?.push({ id: r.id, name: r.name });
  return out;
}

/** Tags of one dataset the actor may see (404 otherwise). */
export async function datasetTags(ctx: Ctx, datasetId: string): Promise<{ id: string; name: string }[]> {
  const dataset = await loadDataset(ctx.db, ctx, datasetId);
  return (await tagsOfDatasets(ctx, [dataset.id])).get(dataset.id) ?? [];
}

/** The datasets carrying at least one of the tags (for the datasets list's tag_ids filter). */
export function datasetIdsWithAnyTag(db: Database, tagIds: string[]) {
  return db
    .select({ id: datasetTagBindings.datasetId })
    .from(datasetTagBindings)
    .where(inArray(datasetTagBindings.tagId, tagIds));
}
