import type { FastifyInstance, FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import {
  AppError,
  isAppError,
  MAX_END_USER_ID_LENGTH,
  refuseInternalEndUser,
  uploadFile,
  type UploadedFile,
} from "@enclave/core";
import type { ConsoleRouteDeps } from "../console/deps.ts";

/** Dify's name for an upload without a `user`: one shared end user of the app. */
const DEFAULT_USER = "DEFAULT-USER";

/** POST /v1/files/upload (multipart `file` + `user`), Dify semantics; the type is sniffed from the bytes. */
export function fileRoutes(deps: ConsoleRouteDeps) {
  const maxBytes = deps.config.chat.uploadMaxBytes;
  return async (app: FastifyInstance) => {
    // Scoped to this plugin: no other route accepts multipart bodies.
    await app.register(multipart);
    app.post(
      "/v1/files/upload",
      { config: { permission: "app.invoke", auth: "appKey" } },
      async (request, reply) => {
        const form = await readUploadForm(request, maxBytes);
        refuseInternalEndUser(form.user);
        const file = await uploadFile(
          request.ctx,
          { bytes: form.bytes, name: form.name, user: form.user ?? DEFAULT_USER },
          { maxBytes },
        );
        return reply.status(201).send(toDifyFile(file));
      },
    );
  };
}

interface UploadForm {
  bytes: Buffer;
  name: string;
  user: string | undefined;
}

// Multipart failures, as Dify names them (the error edge maps bad_request to invalid_param).
const MULTIPART_ERRORS: Record<string, () => AppError> = {
  FST_REQ_FILE_TOO_LARGE: () => new AppError("file_too_large", "the file is too large"),
  FST_FILES_LIMIT: () => new AppError("too_many_files", "Only one file is allowed."),
  FST_INVALID_MULTIPART_CONTENT_TYPE: () => new AppError("no_file_uploaded", "Please upload your file."),
};

/** Reads the one `file` part (at most `maxBytes`, buffered) and the `user` field, in either order. */
async function readUploadForm(request: FastifyRequest, maxBytes: number): Promise<UploadForm> {
  if (!request.isMultipart()) throw new AppError("no_file_uploaded", "Please upload your file.");
  let file: { bytes: Buffer; name: string } | null = null;
  let user: string | undefined;
  try {
    const parts = request.parts({
      limits: {
        fileSize: maxBytes,
        files: 1,
        fields: 8,
        parts: 10,
        fieldSize: 1024,
        fieldNameSize: 100,
        headerPairs: 50,
      },
    });
    for await (const part of parts) {
      if (part.type === "file") {
        if (part.fieldname !== "file") throw new AppError("no_file_uploaded", "Please upload your file.");
        file = { bytes: await part.toBuffer(), name: part.filename };
      } else if (part.fieldname === "user") {
        if (
          part.valueTruncated ||
          typeof part.value !== "string" ||
          part.value.length > MAX_END_USER_ID_LENGTH
        ) {
          throw new AppError(
            "validation_failed",
            `user must be at most ${MAX_END_USER_ID_LENGTH} characters`,
          );
        }
        user = part.value;
      }
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    const known = typeof code === "string" ? MULTIPART_ERRORS[code] : undefined;
    throw known ? known() : new AppError("bad_request", "the multipart body is malformed");
  }
  if (!file) throw new AppError("no_file_uploaded", "Please upload your file.");
  return { ...file, user };
}

/** An upload in Dify's response shape (created_at in Unix seconds). */
function toDifyFile(file: UploadedFile) {
  return {
    id: file.id,
    name: file.name,
    size: file.size,
    extension: file.extension,
    mime_type: file.mimeType,
    created_by: file.createdBy,
    created_at: Math.floor(file.createdAt.getTime() / 1000),
    reference: null,
    preview_url: null,
    conversation_id: null,
    user_id: null,
    file_key: null,
  };
}
