import { ERROR_STATUS, type ErrorCode } from "@enclave/contracts";

/**
 * The one error type domain code throws. Its message is shown to the client for 4xx codes,
 * so it must be written for a user and never contain internals.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export const notFound = (what = "resource"): AppError => new AppError("not_found", `${what} not found`);
