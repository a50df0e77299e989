import { and, asc, count, eq, sql } from "drizzle-orm";
import {
  CreateFileDocumentInput,
  CreateTextDocumentInput,
  UpdateDocumentInput,
  type DocForm,
  type DocumentView,
  type ListQuery,
  type Page,
} from "@enclave/contracts";
import { documents, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { actingAccount, loadDataset, type DatasetRow } from "./dataset-access.ts";
import { cleanFileName, loadDocument, toDocumentView } from "./document-rows.ts";
import { enqueueIndexing } from "./indexing-queue.ts";
import { typedMetadata } from "./metadata-fields.ts";
import { settleProcessRule, sniffDocument } from "./ingest-adapter.ts";
import { requireVectorStore } from "./vector-store.ts";

/** Largest original accepted (Dify's default upload limit). */
export const MAX_DOCUMENT_BYTES = 15 * 1024 * 1024;

interface NewDocument {
  name: string;
  source: "upload_file" | "text";
  bytes: Uint8Array;
  fileName: string;
  kind: string;
  mime: string;
  docForm: DocForm;
  processRule: unknown;
  metadata: Record<string, string | number>;
}

/** A document from pasted text: kept as a .txt original, then indexed in the worker. */
export async function createTextDocument(
  ctx: Ctx,
  datasetId: string,
  raw: CreateTextDocumentInput,
): Promise<DocumentView> {
  const input = CreateTextDocumentInput.parse(raw);
  const bytes = new TextEncoder().encode(input.text);
  if (bytes.length > MAX_DOCUMENT_BYTES) throw new AppError("file_too_large", "the text is too large");
  const { docForm, rule } = settleProcessRule(input.docForm, input.processRule);
  return addDocument(ctx, datasetId, {
    name: input.name,
    source: "text",
    bytes,
    fileName: `${cleanFileName(input.name)}.txt`,
    kind: "txt",
    mime: "text/plain",
    docForm,
    processRule: rule,
    metadata: input.metadata,
  });
}

/** A document from an uploaded file: type sniffed from its bytes, original kept in the file store. */
export async function createFileDocument(
  ctx: Ctx,
  datasetId: string,
  file: { bytes: Uint8Array; fileName: string },
  raw: CreateFileDocumentInput,
): Promise<DocumentView> {
  const input = CreateFileDocumentInput.parse(raw);
  if (file.bytes.length > MAX_DOCUMENT_BYTES) throw new AppError("file_too_large", "the file is too large");
  if (file.bytes.length === 0) throw new AppError("no_file_uploaded", "the file is empty");
  const name = cleanFileName(file.fileName);
  // Check visibility before looking at the bytes: a hidden dataset answers 404 whatever the file.
  await loadDataset(ctx.db, ctx, datasetId, { manage: true });
  const sniffed = sniffDocument(file.bytes, name);
  const { docForm, rule } = settleProcessRule(input.docForm, input.processRule);
  return addDocument(ctx, datasetId, {
    name,
    source: "upload_file",
    bytes: file.bytes,
    fileName: name,
    kind: sniffed.kind,
    mime: sniffed.mime,
    docForm,
    processRule: rule,
    metadata: input.metadata,
  });
}

async function addDocument(ctx: Ctx, datasetId: string, doc: NewDocument): Promise<DocumentView> {
  const dataset = await loadDataset(ctx.db, ctx, datasetId, { manage: true });
  if (dataset.indexingTechnique === "high_quality") await requireVectorStore(ctx.db);
  const files = ctx.services.files;
  if (!files) throw new AppError("not_ready", "file storage is not configured");
  const stored = await files.put(doc.bytes);
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      const locked = await loadDataset(tx, txCtx, dataset.id, { manage: true, forUpdate: true });
      const position = await nextPosition(tx, locked);
      const [row] = await tx
        .insert(documents)
        .values({
          workspaceId: locked.workspaceId,
          datasetId: locked.id,
          position,
          name: doc.name,
          dataSourceType: doc.source,
          docForm: doc.docForm,
          processRule: (doc.processRule ?? {}) as Record<string, unknown>,
          fileKey: stored.key,
          fileName: doc.fileName,
          fileSize: stored.size,
          fileMime: doc.mime,
          fileKind: doc.kind,
          fileSha256: stored.sha256,
          metadata: await typedMetadata(tx, locked.id, doc.metadata),
          createdBy: actingAccount(txCtx),
        })
        .returning();
      await emitAudit(tx, txCtx, {
        action: "dataset.document.create",
        target: { type: "document", id: row!.id },
        details: {
          datasetId: locked.id,
          source: doc.source,
          kind: doc.kind,
          size: stored.size,
          sha256: stored.sha256,
        },
      });
      await enqueueIndexing(tx, txCtx, locked.workspaceId, row!.id);
      return toDocumentView(row!);
    });
  } catch (err) {
    await files.delete(stored.key).catch(() => undefined);
    throw err;
  }
}

async function nextPosition(tx: Transaction, dataset: DatasetRow): Promise<number> {
  const [row] = await tx
    .select({ max: sql<number>`coalesce(max(${documents.position}), 0)::int` })
    .from(documents)
    .where(eq(documents.datasetId, dataset.id));
  return (row?.max ?? 0) + 1;
}

export async function listDocuments(
  ctx: Ctx,
  datasetId: string,
  query: ListQuery,
): Promise<Page<DocumentView>> {
  const dataset = await loadDataset(ctx.db, ctx, datasetId);
  const where = query.keyword
    ? and(
        eq(documents.datasetId, dataset.id),
        sql`position(lower(${query.keyword}) in lower(${documents.name})) > 0`,
      )
    : eq(documents.datasetId, dataset.id);
  const [total] = await ctx.db.select({ n: count() }).from(documents).where(where);
  const rows = await ctx.db
    .select()
    .from(documents)
    .where(where)
    .orderBy(asc(documents.position))
    .limit(query.limit)
    .offset((query.page - 1) * query.limit);
  const n = total?.n ?? 0;
  return {
    data: rows.map(toDocumentView),
    page: query.page,
    limit: query.limit,
    total: n,
    hasMore: query.page * query.limit < n,
  };
}

/** One document with its status and progress (readable while indexing runs). */
export async function getDocument(ctx: Ctx, datasetId: string, documentId: string): Promise<DocumentView> {
  return toDocumentView((await loadDocument(ctx.db, ctx, datasetId, documentId)).doc);
}

export async function updateDocument(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  raw: UpdateDocumentInput,
): Promise<DocumentView> {
  const input = UpdateDocumentInput.parse(raw);
  return withTransaction(ctx, async (tx, txCtx) => {
    const { doc } = await loadDocument(tx, txCtx, datasetId, documentId, { manage: true, forUpdate: true });
    const set: Partial<typeof documents.$inferInsert> = {};
    for (const field of ["name", "enabled", "archived"] as const) {
      if (input[field] !== undefined) Object.assign(set, { [field]: input[field] });
    }
    if (input.metadata !== undefined) set.metadata = await typedMetadata(tx, doc.datasetId, input.metadata);
    if (Object.keys(set).length === 0) return toDocumentView(doc);
    const [row] = await tx.update(documents).set(set).where(eq(documents.id, doc.id)).returning();
    await emitAudit(tx, txCtx, {
      action: "dataset.document.update",
      target: { type: "document", id: doc.id },
      details: { datasetId: doc.datasetId, changed: Object.keys(set) },
    });
    return toDocumentView(row!);
  });
}

/** Deletes a document with its chunks and embeddings; the original file goes after commit. */
export async function deleteDocument(ctx: Ctx, datasetId: string, documentId: string): Promise<void> {
  const keys = await withTransaction(ctx, async (tx, txCtx) => {
    const { doc } = await loadDocument(tx, txCtx, datasetId, documentId, { manage: true, forUpdate: true });
    await tx.delete(documents).where(eq(documents.id, doc.id));
    await emitAudit(tx, txCtx, {
      action: "dataset.document.delete",
      target: { type: "document", id: doc.id },
      details: { datasetId: doc.datasetId, sha256: doc.fileSha256 },
    });
    return [doc.fileKey, doc.pendingUpdate?.fileKey].filter((k): k is string => !!k);
  });
  for (const key of new Set(keys)) await ctx.services.files?.delete(key).catch(() => undefined);
}

/** Pauses indexing between batches; `resume` queues it again and it carries on where it stopped. */
export async function setDocumentIndexing(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  action: "pause" | "resume",
): Promise<DocumentView> {
  return withTransaction(ctx, async (tx, txCtx) => {
    const { doc } = await loadDocument(tx, txCtx, datasetId, documentId, { manage: true, forUpdate: true });
    if (action === "pause") {
      if (doc.status === "completed" || doc.status === "error" || doc.status === "paused") {
        throw new AppError("bad_request", `a document that is ${doc.status} cannot be paused`);
      }
    } else if (doc.status !== "paused" && doc.status !== "error") {
      throw new AppError("bad_request", "only a paused or failed document can be resumed");
    }
    const [row] = await tx
      .update(documents)
      .set(
        action === "pause"
          ? { status: "paused", pausedAt: new Date() }
          : { status: "waiting", pausedAt: null, error: null },
      )
      .where(eq(documents.id, doc.id))
      .returning();
    if (action === "resume") await enqueueIndexing(tx, txCtx, doc.workspaceId, doc.id);
    await emitAudit(tx, txCtx, {
      action: `dataset.document.${action}`,
      target: { type: "document", id: doc.id },
      details: { datasetId: doc.datasetId },
    });
    return toDocumentView(row!);
  });
}
