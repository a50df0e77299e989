import { and, eq } from "drizzle-orm";
import type { DocumentView } from "@enclave/contracts";
import { documents, type Database, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { safeFileName } from "../files/file-name.ts";
import { loadDataset, type DatasetRow } from "./dataset-access.ts";

export type DocumentRow = typeof documents.$inferSelect;

/** A document of a dataset the actor may see, or 404 (as for the dataset itself). */
export async function loadDocument(
  db: Database | Transaction,
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  opts: { manage?: boolean; forUpdate?: boolean } = {},
): Promise<{ dataset: DatasetRow; doc: DocumentRow }> {
  const dataset = await loadDataset(db, ctx, datasetId, { manage: opts.manage ?? false });
  const query = db
    .select()
    .from(documents)
    .where(and(eq(documents.id, documentId), eq(documents.datasetId, dataset.id)))
    .limit(1);
  const [doc] = opts.forUpdate ? await query.for("update") : await query;
  if (!doc) throw new AppError("not_found", "document not found");
  return { dataset, doc };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A document's view; while a replacement is indexed, its status and progress are the replacement's. */
export function toDocumentView(row: DocumentRow): DocumentView {
  const pending = row.pendingUpdate;
  if (pending) {
    return {
      ...currentView(row),
      status: pending.status,
      error: pending.error,
      progress: { done: pending.progressDone, total: pending.progressTotal },
      completedAt: null,
    };
  }
  return currentView(row);
}

function currentView(row: DocumentRow): DocumentView {
  return {
    id: row.id,
    datasetId: row.datasetId,
    position: row.position,
    name: row.name,
    dataSourceType: row.dataSourceType,
    docForm: row.docForm,
    file: { name: row.fileName, size: row.fileSize, mime: row.fileMime, sha256: row.fileSha256 },
    status: row.status,
    error: row.error,
    progress: { done: row.progressDone, total: row.progressTotal },
    enabled: row.enabled,
    archived: row.archived,
    wordCount: row.wordCount,
    tokens: row.tokens,
    metadata: row.metadata,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    processingStartedAt: iso(row.processingStartedAt),
    parsingCompletedAt: iso(row.parsingCompletedAt),
    splittingCompletedAt: iso(row.splittingCompletedAt),
    pausedAt: iso(row.pausedAt),
    completedAt: iso(row.completedAt),
  };
}

/** A display name from whatever the client sent (never a storage path: keys are server-generated). */
export function cleanFileName(raw: string): string {
  return safeFileName(raw);
}
