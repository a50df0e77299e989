import { and, asc, count, eq, sql } from "drizzle-orm";
import {
  CreateSegmentInput,
  UpdateSegmentInput,
  type ListQuery,
  type Page,
  type SegmentView,
} from "@enclave/contracts";
import { documents, segments } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { actingAccount, type DatasetRow } from "./dataset-access.ts";
import { loadDocument, type DocumentRow } from "./document-rows.ts";
import { contentHash, countTokens, segmentForIndex } from "./ingest-adapter.ts";
import { embedQuery } from "./indexing.ts";
import { deleteSegmentEmbedding, hasVectorStore, insertEmbeddings } from "./vector-store.ts";

type SegmentRow = typeof segments.$inferSelect;

export function toSegmentView(row: SegmentRow): SegmentView {
  return {
    id: row.id,
    documentId: row.documentId,
    position: row.position,
    role: row.role,
    parentId: row.parentId,
    content: row.content,
    tokens: row.tokens,
    wordCount: row.wordCount,
    enabled: row.enabled,
    hitCount: row.hitCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listSegments(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  query: ListQuery,
): Promise<Page<SegmentView>> {
  const { doc } = await loadDocument(ctx.db, ctx, datasetId, documentId);
  const where = query.keyword
    ? and(
        eq(segments.documentId, doc.id),
        sql`position(lower(${query.keyword}) in lower(${segments.content})) > 0`,
      )
    : eq(segments.documentId, doc.id);
  const [total] = await ctx.db.select({ n: count() }).from(segments).where(where);
  const rows = await ctx.db
    .select()
    .from(segments)
    .where(where)
    .orderBy(asc(segments.position), asc(segments.childPosition))
    .limit(query.limit)
    .offset((query.page - 1) * query.limit);
  const n = total?.n ?? 0;
  return {
    data: rows.map(toSegmentView),
    page: query.page,
    limit: query.limit,
    total: n,
    hasMore: query.page * query.limit < n,
  };
}

async function loadSegment(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  segmentId: string,
  manage: boolean,
) {
  const { dataset, doc } = await loadDocument(ctx.db, ctx, datasetId, documentId, { manage });
  const [segment] = await ctx.db
    .select()
    .from(segments)
    .where(and(eq(segments.id, segmentId), eq(segments.documentId, doc.id)))
    .limit(1);
  if (!segment) throw new AppError("not_found", "segment not found");
  return { dataset, doc, segment };
}

export async function getSegment(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  segmentId: string,
): Promise<SegmentView> {
  return toSegmentView((await loadSegment(ctx, datasetId, documentId, segmentId, false)).segment);
}

export function refuseWhileIndexing(doc: DocumentRow): void {
  if (doc.status !== "completed" && doc.status !== "error" && doc.status !== "paused") {
    throw new AppError(
      "conflict",
      "the document is still being indexed: edit its chunks once it has finished",
    );
  }
}

/** The vector for new chunk text, computed before the write so a provider failure changes nothing. */
export async function vectorFor(
  ctx: Ctx,
  dataset: DatasetRow,
  content: string,
  role: string,
): Promise<number[] | null> {
  if (role === "parent") return null;
  return embedQuery(ctx, dataset, content);
}

/** Adds a chunk at the end of the document, indexed at once. */
export async function createSegment(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  raw: CreateSegmentInput,
): Promise<SegmentView> {
  return (await createSegments(ctx, datasetId, documentId, [raw]))[0]!;
}

/** Adds chunks at the end of the document in one transaction (all or none), indexed at once. */
export async function createSegments(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  raws: CreateSegmentInput[],
): Promise<SegmentView[]> {
  const inputs = raws.map((r) => CreateSegmentInput.parse(r));
  if (inputs.length === 0 || inputs.length > 100)
    throw new AppError("validation_failed", "send 1 to 100 chunks");
  const { dataset, doc } = await loadDocument(ctx.db, ctx, datasetId, documentId, { manage: true });
  refuseWhileIndexing(doc);
  const vectors: (number[] | null)[] = [];
  for (const input of inputs) vectors.push(await vectorFor(ctx, dataset, input.content, "chunk"));
  return withTransaction(ctx, async (tx, txCtx) => {
    const { doc: locked } = await loadDocument(tx, txCtx, datasetId, documentId, {
      manage: true,
      forUpdate: true,
    });
    const [max] = await tx
      .select({ max: sql<number>`coalesce(max(${segments.position}), 0)::int` })
      .from(segments)
      .where(eq(segments.documentId, locked.id));
    const rows = await tx
      .insert(segments)
      .values(
        inputs.map((input, i) => ({
          workspaceId: locked.workspaceId,
          datasetId: locked.datasetId,
          documentId: locked.id,
          role: "chunk" as const,
          position: (max?.max ?? 0) + 1 + i,
          content: input.content,
          segmentedText: segmentForIndex(input.content),
          contentHash: contentHash(input.content),
          tokens: countTokens(input.content),
          wordCount: input.content.length,
          enabled: input.enabled,
          createdBy: actingAccount(txCtx),
        })),
      )
      .returning();
    const embedded = rows.flatMap((row, i) =>
      vectors[i] ? [embeddingRow(dataset, row.id, vectors[i])] : [],
    );
    await insertEmbeddings(tx, embedded);
    await tx
      .update(documents)
      .set({
        progressTotal: sql`${documents.progressTotal} + ${rows.length}`,
        progressDone: sql`${documents.progressDone} + ${rows.length}`,
      })
      .where(eq(documents.id, locked.id));
    for (const row of rows) {
      await emitAudit(tx, txCtx, {
        action: "dataset.segment.create",
        target: { type: "segment", id: row.id },
        details: { datasetId: locked.datasetId, documentId: locked.id },
      });
    }
    return rows.map(toSegmentView);
  });
}

/** Edits a chunk's text (re-indexing that chunk only) or switches it on or off. */
export async function updateSegment(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  segmentId: string,
  raw: UpdateSegmentInput,
): Promise<SegmentView> {
  const input = UpdateSegmentInput.parse(raw);
  const { dataset, doc, segment } = await loadSegment(ctx, datasetId, documentId, segmentId, true);
  const newContent = input.content !== undefined && input.content !== segment.content ? input.content : null;
  if (newContent !== null) refuseWhileIndexing(doc);
  const vector = newContent !== null ? await vectorFor(ctx, dataset, newContent, segment.role) : null;
  const vectors = await hasVectorStore(ctx.db);
  return withTransaction(ctx, async (tx, txCtx) => {
    await loadDocument(tx, txCtx, datasetId, documentId, { manage: true, forUpdate: true });
    const set: Partial<typeof segments.$inferInsert> = {};
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (newContent !== null) {
      Object.assign(set, {
        content: newContent,
        segmentedText: segment.role === "parent" ? "" : segmentForIndex(newContent),
        contentHash: contentHash(newContent),
        tokens: countTokens(newContent),
        wordCount: newContent.length,
      });
    }
    const [row] = await tx
      .update(segments)
      .set(set)
      .where(and(eq(segments.id, segment.id), eq(segments.documentId, doc.id)))
      .returning();
    if (!row) throw new AppError("not_found", "segment not found");
    if (newContent !== null && vectors) {
      await deleteSegmentEmbedding(tx, segment.id);
      if (vector) await insertEmbeddings(tx, [embeddingRow(dataset, segment.id, vector)]);
    }
    await emitAudit(tx, txCtx, {
      action: "dataset.segment.update",
      target: { type: "segment", id: segment.id },
      details: {
        datasetId: doc.datasetId,
        documentId: doc.id,
        changed: Object.keys(set).filter((k) => k === "content" || k === "enabled"),
      },
    });
    return toSegmentView(row);
  });
}

export async function deleteSegment(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  segmentId: string,
): Promise<void> {
  const { doc, segment } = await loadSegment(ctx, datasetId, documentId, segmentId, true);
  await withTransaction(ctx, async (tx, txCtx) => {
    await loadDocument(tx, txCtx, datasetId, documentId, { manage: true, forUpdate: true });
    const gone = await tx
      .delete(segments)
      .where(and(eq(segments.id, segment.id), eq(segments.documentId, doc.id)))
      .returning({ id: segments.id });
    if (gone.length === 0) throw new AppError("not_found", "segment not found");
    await emitAudit(tx, txCtx, {
      action: "dataset.segment.delete",
      target: { type: "segment", id: segment.id },
      details: { datasetId: doc.datasetId, documentId: doc.id },
    });
  });
}

export function embeddingRow(dataset: DatasetRow, segmentId: string, vector: number[]) {
  return {
    segmentId,
    workspaceId: dataset.workspaceId,
    datasetId: dataset.id,
    model: `${dataset.embeddingProviderId}/${dataset.embeddingModel}`,
    vector,
  };
}
