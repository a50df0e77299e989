import type { FilePart, ImagePart, TextPart } from "ai";
import type { InputFile } from "@enclave/contracts";
import { loadUploadFiles } from "../files/upload.ts";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import type { ServingApp } from "../apps/serving.ts";

/** How much of an attached text document the model sees (characters). */
const MAX_TEXT_CHARS = 100_000;
const TEXT_TYPES = new Set(["text/plain", "text/markdown", "text/csv", "application/json", "text/html"]);

export interface MessageParts {
  content: Array<TextPart | ImagePart | FilePart>;
  fileIds: string[];
}

/**
 * Turns a message's `files` into model input. Uploaded files must belong to the same app and end
 * user (anyone else's id answers 404); images go to the model as images, text documents as text,
 * PDFs as files. Remote URLs are accepted for images only, fetched by the provider or, when it
 * cannot take URLs, through the guarded client.
 */
export async function filesToParts(
  ctx: Ctx,
  app: ServingApp,
  endUserId: string,
  files: readonly InputFile[],
): Promise<MessageParts> {
  if (files.length === 0) return { content: [], fileIds: [] };
  const settings = app.config.fileUpload;
  if (!settings.enabled) throw new AppError("validation_failed", "this app does not accept files");
  if (files.length > settings.numberLimits) {
    throw new AppError("too_many_files", `at most ${settings.numberLimits} files per message`);
  }
  const localIds = files.filter((f) => f.transfer_method === "local_file").map((f) => f.upload_file_id!);
  const uploads = await loadUploadFiles(ctx, { appId: app.id, endUserId }, localIds);
  const byId = new Map(uploads.map((u) => [u.id, u]));
  const content: MessageParts["content"] = [];
  for (const file of files) {
    if (file.transfer_method === "remote_url") {
      content.push(remoteImage(file));
      continue;
    }
    const row = byId.get(file.upload_file_id!.toLowerCase());
    if (!row) throw new AppError("not_found", "file not found");
    const store = ctx.services.files;
    if (!store) throw new Error("the file store is not configured");
    const bytes = await store.get(row.storageKey);
    if (row.mimeType.startsWith("image/")) {
      content.push({ type: "image", image: bytes, mediaType: row.mimeType });
    } else if (TEXT_TYPES.has(row.mimeType)) {
      const text = new TextDecoder().decode(bytes).slice(0, MAX_TEXT_CHARS);
      content.push({ type: "text", text: `Attached file "${row.name}":\n${text}` });
    } else if (row.mimeType === "application/pdf") {
      content.push({ type: "file", data: bytes, mediaType: "application/pdf", filename: row.name });
    } else {
      throw new AppError(
        "unsupported_file_type",
        `files of type ${row.mimeType} cannot be sent to the model`,
      );
    }
  }
  return { content, fileIds: uploads.map((u) => u.id) };
}

function remoteImage(file: InputFile): ImagePart {
  if (file.type !== "image") {
    throw new AppError("unsupported_file_type", "only images can be given by URL: upload documents first");
  }
  let url: URL;
  try {
    url = new URL(file.url!);
  } catch {
    throw new AppError("validation_failed", "the file URL is not valid");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AppError("validation_failed", "file URLs must be http or https");
  }
  return { type: "image", image: url };
}
