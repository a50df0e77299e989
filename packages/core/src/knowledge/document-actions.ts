import { and, eq, inArray } from "drizzle-orm";
import { DOCUMENT_STATUS_ACTIONS, type DocumentStatusAction } from "@enclave/contracts";
import { documents } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { loadDataset } from "./dataset-access.ts";
import { loadDocument } from "./document-rows.ts";
import { uniqueNames, zipFiles } from "../files/zip-writer.ts";

const CHANGE: Record<DocumentStatusAction, Partial<typeof documents.$inferInsert>> = {
  enable: { enabled: true },
  disable: { enabled: false },
  archive: { archived: true },
  un_archive: { archived: false },
};

export function isDocumentStatusAction(action: string): action is DocumentStatusAction {
  return (DOCUMENT_STATUS_ACTIONS as readonly string[]).includes(action);
}

/**
 * Enables, disables, archives or un-archives documents of one dataset, all or none: an id that is
 * not a document of this dataset is a 404 and nothing changes. A document still being indexed
 * cannot be disabled (Dify's rule); documents already in the asked state are left as they are.
 */
export async function setDocumentsStatus(
  ctx: Ctx,
  datasetId: string,
  action: string,
  documentIds: string[],
): Promise<{ changed: number }> {
  if (!isDocumentStatusAction(action)) throw new AppError("invalid_action", "unknown action");
  const ids = [...new Set(documentIds)];
  return withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    const rows = await tx
      .select({ id: documents.id, status: documents.status })
      .from(documents)
      .where(and(eq(documents.datasetId, dataset.id), inArray(documents.id, ids)))
      .for("update");
    if (rows.length !== ids.length) throw new AppError("not_found", "document not found");
    if (action === "disable" && rows.some((r) => r.status !== "completed" && r.status !== "error")) {
      throw new AppError("invalid_action", "a document that is still being indexed cannot be disabled");
    }
    const set = CHANGE[action];
    const [field, value] = Object.entries(set)[0]!;
    const changed = await tx
      .update(documents)
      .set(set)
      .where(
        and(
          eq(documents.datasetId, dataset.id),
          inArray(documents.id, ids),
          field === "enabled" ? eq(documents.enabled, !value) : eq(documents.archived, !value),
        ),
      )
      .returning({ id: documents.id });
    await emitAudit(tx, txCtx, {
      action: `dataset.document.${action}`,
      target: { type: "dataset", id: dataset.id },
      details: { documentIds: ids, changed: changed.map((c) => c.id) },
    });
    return { changed: changed.length };
  });
}

/** The original file of a document, for its readers; the stored key never leaves the server. */
export async function readDocumentOriginal(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
): Promise<{ bytes: Buffer; fileName: string; mime: string }> {
  const { doc } = await loadDocument(ctx.db, ctx, datasetId, documentId);
  if (doc.dataSourceType !== "upload_file") {
    throw new AppError("not_found", "document does not have an uploaded file to download");
  }
  const files = ctx.services.files;
  if (!files) throw new AppError("not_ready", "file storage is not configured");
  const bytes = await files.get(doc.fileKey).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "not_found") {
      throw new AppError("not_found", "uploaded file not found");
    }
    throw err;
  });
  return { bytes, fileName: doc.fileName, mime: doc.fileMime };
}

/** Largest total of originals one download-zip request may gather. */
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;

/**
 * The originals of uploaded-file documents of one dataset as one ZIP. Every id must be an
 * uploaded-file document of this dataset (404 otherwise); the total is bounded (413).
 */
export async function zipDocumentOriginals(
  ctx: Ctx,
  datasetId: string,
  documentIds: string[],
): Promise<Buffer> {
  const ids = [...new Set(documentIds)];
  const dataset = await loadDataset(ctx.db, ctx, datasetId);
  const rows = await ctx.db
    .select({
      id: documents.id,
      source: documents.dataSourceType,
      key: documents.fileKey,
      name: documents.fileName,
      size: documents.fileSize,
      position: documents.position,
    })
    .from(documents)
    .where(and(eq(documents.datasetId, dataset.id), inArray(documents.id, ids)));
  if (rows.length !== ids.length) throw new AppError("not_found", "document not found");
  if (rows.some((r) => r.source !== "upload_file")) {
    throw new AppError("not_found", "only uploaded-file documents can be downloaded as ZIP");
  }
  if (rows.reduce((n, r) => n + r.size, 0) > MAX_ZIP_BYTES) {
    throw new AppError("file_too_large", "the documents are too large to download together");
  }
  const files = ctx.services.files;
  if (!files) throw new AppError("not_ready", "file storage is not configured");
  rows.sort((a, b) => a.position - b.position);
  const names = uniqueNames(rows.map((r) => r.name));
  const entries = [];
  for (const [i, r] of rows.entries()) entries.push({ name: names[i]!, bytes: await files.get(r.key) });
  return zipFiles(entries);
}
