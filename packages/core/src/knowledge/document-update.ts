import { eq } from "drizzle-orm";
import type { DocForm, DocumentView } from "@enclave/contracts";
import { documents, segments, type PendingDocumentUpdate } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { onAfterCommit, withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { cleanFileName, loadDocument, toDocumentView } from "./document-rows.ts";
import { MAX_DOCUMENT_BYTES } from "./documents.ts";
import { enqueueIndexing } from "./indexing-queue.ts";
import { settleProcessRule, sniffDocument } from "./ingest-adapter.ts";

/** What update-by-text / update-by-file may change; no `content` means name and settings only. */
export interface DocumentContentUpdate {
  name?: string;
  content?: { bytes: Uint8Array; fileName: string; fromText: boolean };
  docForm?: DocForm;
  processRule?: unknown;
}

/**
 * Replaces a document's original and/or chunking settings and re-indexes it. A completed document
 * keeps answering from its current chunks until the worker swaps in the new ones in one
 * transaction; a failed one is simply reset. Resubmitting what is already there changes nothing.
 */
export async function updateDocumentContent(
  ctx: Ctx,
  datasetId: string,
  documentId: string,
  input: DocumentContentUpdate,
): Promise<DocumentView> {
  const files = ctx.services.files;
  if (!files) throw new AppError("not_ready", "file storage is not configured");
  const { doc: current } = await loadDocument(ctx.db, ctx, datasetId, documentId, { manage: true });
  const content = input.content;
  if (content && content.bytes.length > MAX_DOCUMENT_BYTES) {
    throw new AppError("file_too_large", "the file is too large");
  }
  if (content && content.bytes.length === 0) throw new AppError("no_file_uploaded", "the file is empty");
  const sniffed = content
    ? content.fromText
      ? { kind: "txt", mime: "text/plain" }
      : sniffDocument(content.bytes, cleanFileName(content.fileName))
    : null;
  const changesChunks =
    content !== undefined || input.docForm !== undefined || input.processRule !== undefined;
  const settled = changesChunks
    ? settleProcessRule(input.docForm ?? current.docForm, input.processRule ?? current.processRule)
    : null;
  const stored = content ? await files.put(content.bytes) : null;
  let keptNew = false;
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      const { doc } = await loadDocument(tx, txCtx, datasetId, documentId, { manage: true, forUpdate: true });
      const pendingBefore = doc.pendingUpdate;
      const base = pendingBefore ?? {
        name: doc.name,
        fileKey: doc.fileKey,
        fileName: doc.fileName,
        fileSize: doc.fileSize,
        fileMime: doc.fileMime,
        fileKind: doc.fileKind,
        fileSha256: doc.fileSha256,
        docForm: doc.docForm,
        processRule: doc.processRule,
      };
      const name = input.name ?? base.name;
      const next = { ...pick(base), ...(settled ? settledFields(settled) : {}) };
      if (stored && content && sniffed && stored.sha256 !== base.fileSha256) {
        Object.assign(next, {
          fileKey: stored.key,
          fileName: content.fromText ? `${cleanFileName(name)}.txt` : cleanFileName(content.fileName),
          fileSize: stored.size,
          fileMime: sniffed.mime,
          fileKind: sniffed.kind,
          fileSha256: stored.sha256,
        });
      }
      const sameChunks =
        next.fileSha256 === base.fileSha256 &&
        next.docForm === base.docForm &&
        JSON.stringify(next.processRule) === JSON.stringify(base.processRule);
      if (sameChunks && name === base.name) return toDocumentView(doc);

      let set: Partial<typeof documents.$inferInsert>;
      if (sameChunks) {
        set = pendingBefore ? { pendingUpdate: { ...pendingBefore, name } } : { name };
      } else if (doc.status === "completed") {
        set = {
          pendingUpdate: {
            ...next,
            name,
            status: "waiting",
            error: null,
            progressDone: 0,
            progressTotal: 0,
            requestedAt: new Date().toISOString(),
          },
        };
      } else if (doc.status === "error") {
        // Nothing of it is searchable: start over with the new original.
        await tx.delete(segments).where(eq(segments.documentId, doc.id));
        set = {
          ...next,
          name,
          status: "waiting",
          error: null,
          progressDone: 0,
          progressTotal: 0,
          wordCount: 0,
          tokens: 0,
          processingStartedAt: null,
          parsingCompletedAt: null,
          splittingCompletedAt: null,
          completedAt: null,
          pendingUpdate: null,
        };
        if (next.fileKey !== doc.fileKey) deleteAfterCommit(tx, ctx, doc.fileKey);
      } else {
        throw new AppError(
          "document_indexing",
          "the document is being indexed: try again when it has finished",
        );
      }
      const [row] = await tx.update(documents).set(set).where(eq(documents.id, doc.id)).returning();
      if (!sameChunks) await enqueueIndexing(tx, txCtx, doc.workspaceId, doc.id);
      // A replacement superseded before the worker got to it: its original is no longer needed.
      if (pendingBefore && pendingBefore.fileKey !== next.fileKey && pendingBefore.fileKey !== doc.fileKey) {
        deleteAfterCommit(tx, ctx, pendingBefore.fileKey);
      }
      await emitAudit(tx, txCtx, {
        action: "dataset.document.update_content",
        target: { type: "document", id: doc.id },
        details: {
          datasetId: doc.datasetId,
          sha256: next.fileSha256,
          docForm: next.docForm,
          renamed: name !== base.name,
          reindex: !sameChunks,
        },
      });
      keptNew = stored !== null && next.fileKey === stored.key;
      return toDocumentView(row!);
    });
  } finally {
    if (stored && !keptNew) await files.delete(stored.key).catch(() => undefined);
  }
}

type FileFields = Pick<
  PendingDocumentUpdate,
  "fileKey" | "fileName" | "fileSize" | "fileMime" | "fileKind" | "fileSha256" | "docForm" | "processRule"
>;

function pick(b: FileFields): FileFields {
  return {
    fileKey: b.fileKey,
    fileName: b.fileName,
    fileSize: b.fileSize,
    fileMime: b.fileMime,
    fileKind: b.fileKind,
    fileSha256: b.fileSha256,
    docForm: b.docForm,
    processRule: b.processRule,
  };
}

function settledFields(s: { docForm: DocForm; rule: unknown }): Pick<FileFields, "docForm" | "processRule"> {
  return { docForm: s.docForm, processRule: (s.rule ?? {}) as Record<string, unknown> };
}

function deleteAfterCommit(tx: Parameters<typeof onAfterCommit>[0], ctx: Ctx, key: string): void {
  const drop = async () => {
    await ctx.services.files?.delete(key).catch(() => undefined);
  };
  if (!onAfterCommit(tx, drop)) void drop();
}
