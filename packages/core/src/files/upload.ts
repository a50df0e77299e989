import { and, eq, inArray } from "drizzle-orm";
import { isUuid } from "../context/ids.ts";
import { uploadFiles } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { loadServingApp } from "../apps/serving.ts";
import { ensureEndUser, type EndUserSource } from "../apps/end-users.ts";
import { safeFileName } from "./file-name.ts";
import { sniffFile, type FileKind } from "./sniff.ts";

/** A stored upload as the service API describes it. */
export interface UploadedFile {
  id: string;
  name: string;
  size: number;
  extension: string;
  mimeType: string;
  kind: FileKind;
  /** The end user who uploaded it. */
  createdBy: string;
  createdAt: Date;
}

export interface UploadFileInput {
  bytes: Uint8Array;
  /** The name the caller gave; only shown, never used as a path. */
  name: string;
  /** The caller's `user` string; the file belongs to that end user of the app. */
  user: string;
  source?: EndUserSource;
}

/**
 * Stores a file uploaded through the service API for the caller's app and end user. The type is
 * sniffed from the bytes (`unsupported_file_type` otherwise), the bytes go to the file store under
 * a server-generated key, and the row plus an audit event are written in one transaction; if that
 * fails the stored bytes are removed again.
 */
export async function uploadFile(
  ctx: Ctx,
  input: UploadFileInput,
  opts: { maxBytes: number },
): Promise<UploadedFile> {
  requirePermission(ctx, "app.invoke");
  const store = ctx.services.files;
  if (!store) throw new AppError("internal_error", "no file store is configured");
  const app = await loadServingApp(ctx, "api");
  if (input.bytes.byteLength > opts.maxBytes) {
    throw new AppError("file_too_large", `files may be at most ${Math.floor(opts.maxBytes / 1048576)} MB`);
  }
  const name = safeFileName(input.name);
  const type = sniffFile(input.bytes, name);
  const stored = await store.put(input.bytes);
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      const endUser = await ensureEndUser(txCtx, app.id, input.user, input.source ?? "api");
      const [row] = await tx
        .insert(uploadFiles)
        .values({
          workspaceId: app.workspaceId,
          appId: app.id,
          endUserId: endUser.id,
          name,
          size: stored.size,
          mimeType: type.mime,
          extension: type.extension,
          sha256: stored.sha256,
          storageKey: stored.key,
        })
        .returning();
      await emitAudit(tx, txCtx, {
        action: "file.upload",
        target: { type: "upload_file", id: row!.id },
        details: { appId: app.id, size: stored.size, mimeType: type.mime, sha256: stored.sha256 },
      });
      return {
        id: row!.id,
        name,
        size: stored.size,
        extension: type.extension,
        mimeType: type.mime,
        kind: type.kind,
        createdBy: endUser.id,
        createdAt: row!.createdAt,
      };
    });
  } catch (err) {
    await store.delete(stored.key).catch(() => undefined);
    throw err;
  }
}

/** An upload a message may attach, with where its bytes are. */
export interface AttachableFile extends UploadedFile {
  storageKey: string;
}

/**
 * The uploads `ids` of one end user of one app, in the order asked — for attaching files to a
 * message. Any id that is not that end user's upload in that app (another app's, another user's,
 * or none) is `not_found`, so callers cannot probe for other people's files.
 */
export async function loadUploadFiles(
  ctx: Ctx,
  scope: { appId: string; endUserId: string },
  ids: readonly string[],
): Promise<AttachableFile[]> {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) throw new AppError("not_found", "file not found");
  if (ids.length === 0) return [];
  if (!ids.every(isUuid)) throw new AppError("not_found", "file not found");
  const rows = await ctx.db
    .select()
    .from(uploadFiles)
    .where(
      and(
        eq(uploadFiles.workspaceId, workspaceId),
        eq(uploadFiles.appId, scope.appId),
        eq(uploadFiles.endUserId, scope.endUserId),
        inArray(uploadFiles.id, [...ids]),
      ),
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id.toLowerCase());
    if (!row) throw new AppError("not_found", "file not found");
    return {
      id: row.id,
      name: row.name,
      size: row.size,
      extension: row.extension,
      mimeType: row.mimeType,
      kind: row.mimeType.startsWith("image/") ? "image" : "document",
      createdBy: row.endUserId,
      createdAt: row.createdAt,
      storageKey: row.storageKey,
    };
  });
}
