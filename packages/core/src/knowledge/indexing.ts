import { and, eq, sql } from "drizzle-orm";
import { embedMany } from "ai";
import { datasets, documents, segments, type PendingDocumentUpdate, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { AppError } from "../errors/app-error.ts";
import { resolveEmbeddingModel } from "../models/resolve-model.ts";
import { classifyProviderError } from "../models/provider-errors.ts";
import { extractDocumentText, segmentForIndex, splitDocument } from "./ingest-adapter.ts";
import {
  countEmbedded,
  insertEmbeddings,
  requireVectorStore,
  segmentsWithoutEmbedding,
} from "./vector-store.ts";

type DocumentRow = typeof documents.$inferSelect;
type DatasetRow = typeof datasets.$inferSelect;

export interface IndexingOptions {
  /** Texts per embedding request. */
  batchSize?: number;
}

const DEFAULT_BATCH = 32;
const INSERT_SLICE = 500;

/**
 * Runs a document through parsing → splitting → indexing → completed. Every step keeps its result
 * in the database, so a run that dies midway is resumed by the next: chunks are written in one
 * transaction (with the marker that splitting is done) and only chunks still lacking an
 * embedding are embedded. A document whose file cannot be read fails alone, with its reason.
 */
export async function indexDocument(
  base: Ctx,
  target: { workspaceId: string; documentId: string },
  opts: IndexingOptions = {},
): Promise<void> {
  const ctx: Ctx = { ...base, workspace: { id: target.workspaceId } };
  const loaded = await loadForIndexing(ctx, target);
  if (loaded?.doc.status === "completed" && loaded.doc.pendingUpdate) {
    return swapInUpdate(ctx, loaded.dataset, loaded.doc, opts.batchSize ?? DEFAULT_BATCH);
  }
  if (!loaded || loaded.doc.status === "completed" || loaded.doc.status === "paused") return;
  const { dataset } = loaded;
  let doc = loaded.doc;
  try {
    if (!doc.splittingCompletedAt) doc = await parseAndSplit(ctx, doc);
    if (dataset.indexingTechnique === "high_quality") {
      const finished = await embedMissing(ctx, dataset, doc, opts.batchSize ?? DEFAULT_BATCH);
      if (!finished) return;
    }
    await setStatus(ctx, doc.id, {
      status: "completed",
      completedAt: new Date(),
      error: null,
      progressDone: doc.progressTotal,
    });
  } catch (err) {
    if (err instanceof AppError && err.status < 500) {
      // The file itself is at fault (unsupported, corrupt, too big): no retry will change that.
      await setStatus(ctx, doc.id, { status: "error", error: err.message });
      return;
    }
    const failure = classifyProviderError(err);
    await setStatus(ctx, doc.id, { status: "error", error: `indexing failed: ${failure.message}` });
    throw err;
  }
}

async function loadForIndexing(ctx: Ctx, target: { workspaceId: string; documentId: string }) {
  const [row] = await ctx.db
    .select({ doc: documents, dataset: datasets })
    .from(documents)
    .innerJoin(datasets, eq(datasets.id, documents.datasetId))
    .where(and(eq(documents.id, target.documentId), eq(documents.workspaceId, target.workspaceId)))
    .limit(1);
  return row ?? null;
}

async function setStatus(
  ctx: Ctx,
  documentId: string,
  set: Partial<typeof documents.$inferInsert>,
): Promise<void> {
  await ctx.db.update(documents).set(set).where(eq(documents.id, documentId));
}

async function parseAndSplit(ctx: Ctx, doc: DocumentRow): Promise<DocumentRow> {
  await setStatus(ctx, doc.id, { status: "parsing", processingStartedAt: new Date(), error: null });
  const files = ctx.services.files;
  if (!files) throw new Error("no file store configured");
  const bytes = await files.get(doc.fileKey);
  const text = await extractDocumentText(bytes, doc.fileKind);
  await setStatus(ctx, doc.id, { status: "splitting", parsingCompletedAt: new Date() });
  const chunks = splitDocument(text, doc.docForm, doc.processRule);
  if (chunks.length === 0) throw new AppError("bad_request", "the document contains no text");

  return withTransaction(ctx, async (tx) => {
    // Locked: two workers given the same document serialise here, and the second sees it split.
    const [locked] = await tx.select().from(documents).where(eq(documents.id, doc.id)).for("update");
    if (!locked) throw new AppError("not_found", "document not found");
    if (locked.splittingCompletedAt) return locked;
    const stats = await writeChunks(tx, locked, chunks);
    const [updated] = await tx
      .update(documents)
      .set({
        status: "indexing",
        splittingCompletedAt: new Date(),
        progressTotal: stats.searchable,
        progressDone: 0,
        wordCount: stats.words,
        tokens: stats.tokens,
      })
      .where(eq(documents.id, doc.id))
      .returning();
    return updated!;
  });
}

type NewSegment = typeof segments.$inferInsert;

async function writeChunks(
  tx: Transaction,
  doc: DocumentRow,
  chunks: ReturnType<typeof splitDocument>,
): Promise<{ searchable: number; words: number; tokens: number }> {
  const base = { workspaceId: doc.workspaceId, datasetId: doc.datasetId, documentId: doc.id };
  const hierarchical = doc.docForm === "hierarchical_model";
  const top: NewSegment[] = chunks.map((c, i) => ({
    ...base,
    role: hierarchical ? "parent" : "chunk",
    position: i + 1,
    content: c.content,
    // Parents are context only: never matched, so not in the text index either.
    segmentedText: hierarchical ? "" : segmentForIndex(c.content),
    contentHash: c.hash,
    tokens: c.tokens,
    wordCount: c.content.length,
  }));
  const ids = await insertSegments(tx, top);
  let searchable = hierarchical ? 0 : top.length;
  if (hierarchical) {
    const children: NewSegment[] = [];
    chunks.forEach((c, i) =>
      (c.children ?? [c]).forEach((child, j) =>
        children.push({
          ...base,
          role: "child",
          position: i + 1,
          childPosition: j + 1,
          parentId: ids[i]!,
          content: child.content,
          segmentedText: segmentForIndex(child.content),
          contentHash: child.hash,
          tokens: child.tokens,
          wordCount: child.content.length,
        }),
      ),
    );
    await insertSegments(tx, children);
    searchable = children.length;
  }
  return {
    searchable,
    words: top.reduce((n, s) => n + (s.wordCount ?? 0), 0),
    tokens: top.reduce((n, s) => n + (s.tokens ?? 0), 0),
  };
}

/** Inserts in slices; an existing (document, position, child) slot is kept, never duplicated. */
async function insertSegments(tx: Transaction, rows: NewSegment[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += INSERT_SLICE) {
    const slice = rows.slice(i, i + INSERT_SLICE);
    await tx.insert(segments).values(slice).onConflictDoNothing();
    const got = await tx
      .select({ id: segments.id, position: segments.position, child: segments.childPosition })
      .from(segments)
      .where(
        and(
          eq(segments.documentId, slice[0]!.documentId),
          sql`(${segments.position}, ${segments.childPosition}) in (${sql.join(
            slice.map((r) => sql`(${r.position}, ${r.childPosition ?? 0})`),
            sql`, `,
          )})`,
        ),
      );
    const byKey = new Map(got.map((g) => [`${g.position}.${g.child}`, g.id]));
    for (const r of slice) ids.push(byKey.get(`${r.position}.${r.childPosition ?? 0}`)!);
  }
  return ids;
}

/** Embeds the chunks still without a vector, batch by batch; false when paused midway. */
async function embedMissing(
  ctx: Ctx,
  dataset: DatasetRow,
  doc: DocumentRow,
  batchSize: number,
): Promise<boolean> {
  await requireVectorStore(ctx.db);
  if (!dataset.embeddingProviderId || !dataset.embeddingModel) {
    throw new AppError("dataset_not_initialized", "this knowledge base has no embedding model");
  }
  const model = await resolveEmbeddingModel(ctx, {
    providerId: dataset.embeddingProviderId,
    name: dataset.embeddingModel,
  });
  await setStatus(ctx, doc.id, { status: "indexing", progressDone: await countEmbedded(ctx.db, doc.id) });
  for (;;) {
    const batch = await segmentsWithoutEmbedding(ctx.db, doc.id, batchSize);
    if (batch.length === 0) return true;
    const [current] = await ctx.db
      .select({ status: documents.status })
      .from(documents)
      .where(eq(documents.id, doc.id));
    if (!current || current.status === "paused") return false;
    const { embeddings } = await embedMany({
      model: model.model,
      values: batch.map((b) => b.content),
      maxRetries: 1,
    });
    await insertEmbeddings(
      ctx.db,
      batch.map((b, i) => ({
        segmentId: b.id,
        workspaceId: doc.workspaceId,
        datasetId: doc.datasetId,
        model: `${model.providerId}/${model.modelName}`,
        vector: embeddings[i]!,
      })),
    );
    await setStatus(ctx, doc.id, { progressDone: await countEmbedded(ctx.db, doc.id) });
  }
}

/**
 * Re-indexes a completed document from its pending replacement: parse, split and embed off to the
 * side, then delete the old chunks and write the new ones (with their vectors) in one transaction,
 * so retrieval sees the old set or the new one, never both or neither. A replacement superseded
 * meanwhile (another update) is dropped: the newer job does the swap.
 */
async function swapInUpdate(ctx: Ctx, dataset: DatasetRow, doc: DocumentRow, batchSize: number) {
  const pending = doc.pendingUpdate!;
  const version = pending.requestedAt;
  const progress = (p: Partial<PendingDocumentUpdate>) => setPending(ctx, doc.id, version, p);
  try {
    await progress({ status: "parsing", error: null });
    const files = ctx.services.files;
    if (!files) throw new Error("no file store configured");
    const text = await extractDocumentText(await files.get(pending.fileKey), pending.fileKind);
    await progress({ status: "splitting" });
    const chunks = splitDocument(text, pending.docForm, pending.processRule);
    if (chunks.length === 0) throw new AppError("bad_request", "the document contains no text");
    const searchable = chunks.flatMap((c) =>
      pending.docForm === "hierarchical_model" ? (c.children ?? [c]) : [c],
    );
    await progress({ status: "indexing", progressTotal: searchable.length, progressDone: 0 });
    const vectors = new Map<string, number[]>();
    let model: { id: string; embed: (values: string[]) => Promise<number[][]> } | null = null;
    if (dataset.indexingTechnique === "high_quality") {
      model = await embedder(ctx, dataset);
      const texts = [...new Set(searchable.map((c) => c.content))];
      for (let i = 0; i < texts.length; i += batchSize) {
        const slice = texts.slice(i, i + batchSize);
        (await model.embed(slice)).forEach((v, j) => vectors.set(slice[j]!, v));
        await progress({ progressDone: Math.min(searchable.length, i + slice.length) });
      }
    }
    const swapped = await withTransaction(ctx, async (tx) => {
      const [locked] = await tx.select().from(documents).where(eq(documents.id, doc.id)).for("update");
      if (!locked || locked.pendingUpdate?.requestedAt !== version) return null;
      await tx.delete(segments).where(eq(segments.documentId, doc.id));
      const next = { ...locked, docForm: pending.docForm };
      const stats = await writeChunks(tx, next, chunks);
      if (model) {
        const rows = await tx
          .select({ id: segments.id, content: segments.content })
          .from(segments)
          .where(and(eq(segments.documentId, doc.id), sql`${segments.role} <> 'parent'`));
        await insertEmbeddings(
          tx,
          rows.map((r) => ({
            segmentId: r.id,
            workspaceId: doc.workspaceId,
            datasetId: doc.datasetId,
            model: model.id,
            vector: vectors.get(r.content)!,
          })),
        );
      }
      const now = new Date();
      await tx
        .update(documents)
        .set({
          name: pending.name,
          fileKey: pending.fileKey,
          fileName: pending.fileName,
          fileSize: pending.fileSize,
          fileMime: pending.fileMime,
          fileKind: pending.fileKind,
          fileSha256: pending.fileSha256,
          docForm: pending.docForm,
          processRule: pending.processRule,
          pendingUpdate: null,
          status: "completed",
          error: null,
          progressTotal: stats.searchable,
          progressDone: stats.searchable,
          wordCount: stats.words,
          tokens: stats.tokens,
          processingStartedAt: new Date(version),
          parsingCompletedAt: now,
          splittingCompletedAt: now,
          completedAt: now,
        })
        .where(eq(documents.id, doc.id));
      return locked.fileKey !== pending.fileKey ? locked.fileKey : null;
    });
    if (swapped) await files.delete(swapped).catch(() => undefined);
  } catch (err) {
    const failure =
      err instanceof AppError && err.status < 500 ? err.message : classifyProviderError(err).message;
    await progress({ status: "error", error: failure });
    if (!(err instanceof AppError && err.status < 500)) throw err;
  }
}

/** Updates the pending replacement's progress, unless a newer update has replaced it. */
async function setPending(ctx: Ctx, documentId: string, version: string, p: Partial<PendingDocumentUpdate>) {
  await ctx.db
    .update(documents)
    .set({ pendingUpdate: sql`${documents.pendingUpdate} || ${JSON.stringify(p)}::jsonb` })
    .where(and(eq(documents.id, documentId), sql`${documents.pendingUpdate} ->> 'requestedAt' = ${version}`));
}

async function embedder(ctx: Ctx, dataset: DatasetRow) {
  await requireVectorStore(ctx.db);
  if (!dataset.embeddingProviderId || !dataset.embeddingModel) {
    throw new AppError("dataset_not_initialized", "this knowledge base has no embedding model");
  }
  const model = await resolveEmbeddingModel(ctx, {
    providerId: dataset.embeddingProviderId,
    name: dataset.embeddingModel,
  });
  return {
    id: `${model.providerId}/${model.modelName}`,
    embed: async (values: string[]) =>
      (await embedMany({ model: model.model, values, maxRetries: 1 })).embeddings,
  };
}

/** Embeds one query with the dataset's model (retrieval), or null for an economy dataset. */
export async function embedQuery(ctx: Ctx, dataset: DatasetRow, query: string): Promise<number[] | null> {
  if (dataset.indexingTechnique !== "high_quality" || !dataset.embeddingProviderId || !dataset.embeddingModel)
    return null;
  const model = await resolveEmbeddingModel(ctx, {
    providerId: dataset.embeddingProviderId,
    name: dataset.embeddingModel,
  });
  try {
    const { embeddings } = await embedMany({ model: model.model, values: [query], maxRetries: 1 });
    return embeddings[0] ?? null;
  } catch (err) {
    throw new AppError("upstream_error", classifyProviderError(err).message);
  }
}

/** Embeds one edited or added chunk right away (the console expects it searchable at once). */
export async function embedSegmentNow(
  ctx: Ctx,
  dataset: DatasetRow,
  segment: { id: string; content: string; documentId: string },
): Promise<void> {
  const vector = await embedQuery(ctx, dataset, segment.content);
  if (!vector) return;
  await insertEmbeddings(ctx.db, [
    {
      segmentId: segment.id,
      workspaceId: dataset.workspaceId,
      datasetId: dataset.id,
      model: `${dataset.embeddingProviderId}/${dataset.embeddingModel}`,
      vector,
    },
  ]);
}
