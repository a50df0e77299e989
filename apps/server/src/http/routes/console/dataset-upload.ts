import type { FastifyRequest } from "fastify";
import { AppError, MAX_DOCUMENT_BYTES } from "@enclave/core";

export interface Upload {
  bytes: Uint8Array;
  fileName: string;
  /** The multipart `data` field, parsed as JSON (Dify sends settings there). */
  data: unknown;
}

/**
 * Reads one multipart upload: the `file` part (at most MAX_DOCUMENT_BYTES) and an optional JSON
 * `data` field. Needs @fastify/multipart registered in the calling scope.
 */
export async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (!request.isMultipart())
    throw new AppError("unsupported_media_type", "send the file as multipart/form-data");
  let file: { bytes: Uint8Array; fileName: string } | null = null;
  let data: unknown = {};
  try {
    for await (const part of request.parts({
      limits: { fileSize: MAX_DOCUMENT_BYTES, files: 1, fields: 5 },
    })) {
      if (part.type === "file") {
        if (part.fieldname !== "file")
          throw new AppError("bad_request", "the file must be sent in the `file` field");
        const bytes = await part.toBuffer();
        file = { bytes, fileName: part.filename ?? "document" };
      } else if (part.fieldname === "data") {
        data = parseJson(String(part.value ?? ""));
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code;
    if (code === "FST_REQ_FILE_TOO_LARGE") throw new AppError("file_too_large", "the file is too large");
    if (code === "FST_FILES_LIMIT_REACHED") throw new AppError("too_many_files", "send one file at a time");
    throw new AppError("bad_request", "the multipart body could not be read");
  }
  if (!file) throw new AppError("no_file_uploaded", "no file was uploaded");
  return { ...file, data };
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_json", "the `data` field is not valid JSON");
  }
}
