import { and, asc, count, eq, sql } from "drizzle-orm";
import type { ListQuery, Page } from "@enclave/contracts";
import { documents, segments } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { actingAccount } from "./dataset-access.ts";
import { loadDocument } from "./document-rows.ts";
import { contentHash, countTokens, segmentForIndex } from "./ingest-adapter.ts";
import { embeddingRow, refuseWhileIndexing, vectorFor } from "./segments.ts";
import { deleteSegmentEmbedding, hasVectorStore, insertEmbeddings } from "./vector-store.ts";

type SegmentRow = typeof segments.$inferSelect;

export interface ChildChunkView {
  id: string;
  segmentId: string;
  content: string;
  position: number;
  wordCount: number;
  /** `automatic` from the splitter, `customized` added or edited by hand. */
  type: "automatic" | "customized";
  createdAt: string;
  updatedAt: string;
}

function toChildView(row: SegmentRow): ChildChunkView {
  return {
    id: row.id,
    segmentId: row.parentId!,
    content: row.content,
    position: row.childPosition,
    wordCount: row.wordCount,
    type: row.customized ? "customized" : "automatic",
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A parent chunk of a parent-child document of a dataset the actor may see; 404 otherwise. */
async function loadParent(
  db: Ctx["db"],
  ctx: Ctx,
  ids: { datasetId: string; documentId: string; segmentId: string },
  opts: { manage?: boolean; forUpdate?: boolean } = {},
) {
  const { dataset, doc } = await loadDocument(db, ctx, ids.datasetId, ids.documentId, opts);
  if (doc.docForm !== "hierarchical_model") {
    throw new AppError(
      "bad_request",
      "child chunks exist only in parent-child (hierarchical_model) documents",
    );
  }
  const [parent] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.id, ids.segmentId), eq(segments.documentId, doc.id), eq(segments.role, "parent")))
    .limit(1);
  if (!parent) throw new AppError("not_found", "segment not found");
  return { dataset, doc, parent };
}

async function loadChild(db: Ctx["db"], parent: SegmentRow, childId: string) {
  const [child] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.id, childId), eq(segments.parentId, parent.id), eq(segments.role, "child")))
    .limit(1);
  if (!child) throw new AppError("not_found", "child chunk not found");
  return child;
}

type Ids = { datasetId: string; documentId: string; segmentId: string };

export async function listChildChunks(ctx: Ctx, ids: Ids, query: ListQuery): Promise<Page<ChildChunkView>> {
  const { parent } = await loadParent(ctx.db, ctx, ids);
  const where = and(
    eq(segments.parentId, parent.id),
    eq(segments.role, "child"),
    query.keyword ? sql`position(lower(${query.keyword}) in lower(${segments.content})) > 0` : undefined,
  );
  const [total] = await ctx.db.select({ n: count() }).from(segments).where(where);
  const rows = await ctx.db
    .select()
    .from(segments)
    .where(where)
    .orderBy(asc(segments.childPosition))
    .limit(query.limit)
    .offset((query.page - 1) * query.limit);
  const n = total?.n ?? 0;
  return {
    data: rows.map(toChildView),
    page: query.page,
    limit: query.limit,
    total: n,
    hasMore: query.page * query.limit < n,
  };
}

/** Adds a child chunk under a parent, indexed (and embedded) at once. */
export async function createChildChunk(ctx: Ctx, ids: Ids, content: string): Promise<ChildChunkView> {
  const { dataset, doc } = await loadParent(ctx.db, ctx, ids, { manage: true });
  refuseWhileIndexing(doc);
  const vector = await vectorFor(ctx, dataset, content, "child");
  return withTransaction(ctx, async (tx, txCtx) => {
    const { parent } = await loadParent(tx, txCtx, ids, { manage: true, forUpdate: true });
    const [max] = await tx
      .select({ max: sql<number>`coalesce(max(${segments.childPosition}), 0)::int` })
      .from(segments)
      .where(eq(segments.parentId, parent.id));
    const [row] = await tx
      .insert(segments)
      .values({
        workspaceId: parent.workspaceId,
        datasetId: parent.datasetId,
        documentId: parent.documentId,
        role: "child",
        position: parent.position,
        childPosition: (max?.max ?? 0) + 1,
        parentId: parent.id,
        content,
        segmentedText: segmentForIndex(content),
        contentHash: contentHash(content),
        tokens: countTokens(content),
        wordCount: content.length,
        customized: true,
        createdBy: actingAccount(txCtx),
      })
      .returning();
    if (vector) await insertEmbeddings(tx, [embeddingRow(dataset, row!.id, vector)]);
    await tx
      .update(documents)
      .set({
        progressTotal: sql`${documents.progressTotal} + 1`,
        progressDone: sql`${documents.progressDone} + 1`,
      })
      .where(eq(documents.id, parent.documentId));
    await emitAudit(tx, txCtx, {
      action: "dataset.child_chunk.create",
      target: { type: "segment", id: row!.id },
      details: { datasetId: parent.datasetId, documentId: parent.documentId, parentId: parent.id },
    });
    return toChildView(row!);
  });
}

/** Edits a child chunk's text and re-indexes (re-embeds) that child only. */
export async function updateChildChunk(
  ctx: Ctx,
  ids: Ids,
  childId: string,
  content: string,
): Promise<ChildChunkView> {
  const { dataset, doc, parent } = await loadParent(ctx.db, ctx, ids, { manage: true });
  const child = await loadChild(ctx.db, parent, childId);
  if (child.content === content) return toChildView(child);
  refuseWhileIndexing(doc);
  const vector = await vectorFor(ctx, dataset, content, "child");
  const vectors = await hasVectorStore(ctx.db);
  return withTransaction(ctx, async (tx, txCtx) => {
    const { parent: locked } = await loadParent(tx, txCtx, ids, { manage: true, forUpdate: true });
    await loadChild(tx, locked, childId);
    const [row] = await tx
      .update(segments)
      .set({
        content,
        segmentedText: segmentForIndex(content),
        contentHash: contentHash(content),
        tokens: countTokens(content),
        wordCount: content.length,
        customized: true,
      })
      .where(and(eq(segments.id, childId), eq(segments.parentId, locked.id)))
      .returning();
    if (vectors) {
      await deleteSegmentEmbedding(tx, childId);
      if (vector) await insertEmbeddings(tx, [embeddingRow(dataset, childId, vector)]);
    }
    await emitAudit(tx, txCtx, {
      action: "dataset.child_chunk.update",
      target: { type: "segment", id: childId },
      details: { datasetId: locked.datasetId, documentId: locked.documentId, parentId: locked.id },
    });
    return toChildView(row!);
  });
}

export async function deleteChildChunk(ctx: Ctx, ids: Ids, childId: string): Promise<void> {
  await withTransaction(ctx, async (tx, txCtx) => {
    const { parent } = await loadParent(tx, txCtx, ids, { manage: true, forUpdate: true });
    await loadChild(tx, parent, childId);
    await tx.delete(segments).where(and(eq(segments.id, childId), eq(segments.parentId, parent.id)));
    await tx
      .update(documents)
      .set({
        progressTotal: sql`greatest(${documents.progressTotal} - 1, 0)`,
        progressDone: sql`greatest(${documents.progressDone} - 1, 0)`,
      })
      .where(eq(documents.id, parent.documentId));
    await emitAudit(tx, txCtx, {
      action: "dataset.child_chunk.delete",
      target: { type: "segment", id: childId },
      details: { datasetId: parent.datasetId, documentId: parent.documentId, parentId: parent.id },
    });
  });
}
