/** Every error code the platform can answer with, and the HTTP status each maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  /** The app is not published, or its API / web access is switched off. */
  app_unavailable: 400,
  /** The app's model provider or model is missing or no longer configured. */
  provider_not_initialize: 400,
  /** A chat endpoint was called for an app of another mode (or the reverse). */
  not_chat_app: 400,
  app_mode_mismatch: 400,
  no_file_uploaded: 400,
  too_many_files: 400,
  invalid_json: 400,
  /** high_quality knowledge needs pgvector, which this database lacks. */
  vector_store_unavailable: 400,
  /** A knowledge base's embedding model is missing (high_quality needs one). */
  dataset_not_initialized: 400,
  validation_failed: 400,
  /** A secret-store reference typed into the console is outside the paths this workspace may use. */
  secret_reference_not_allowed: 400,
  /** A document action that does not apply (unknown action, or the document's state forbids it). */
  invalid_action: 400,
  /** The document is being indexed: wait for it to complete (or fail) and try again. */
  document_indexing: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  csrf_failed: 403,
  mfa_enrolment_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  dataset_name_duplicate: 409,
  payload_too_large: 413,
  file_too_large: 413,
  unsupported_media_type: 415,
  unsupported_file_type: 415,
  rate_limited: 429,
  internal_error: 500,
  /** The model provider failed or answered with something unusable. */
  upstream_error: 502,
  upstream_timeout: 504,
  not_ready: 503,
  /** A document's bytes are corrupt, encrypted or otherwise not readable as its kind. */
  document_unreadable: 422,
  /** A document is over a size, page, character or decompressed-size limit. */
  document_too_large: 413,
  /** A document's bytes are not of the kind it was handed over as (an .exe named .pdf). */
  document_type_mismatch: 415,
  /** Extracting a document's text ran past its time or memory limit and was stopped. */
  document_too_complex: 422,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_STATUS, value);
}

/** Body of every 4xx/5xx answered by the console API. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  requestId: string;
  details?: unknown;
}
