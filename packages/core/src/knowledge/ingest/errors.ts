import { AppError } from "../../errors/app-error.ts";
import type { DocumentKind, LimitReason } from "./types.ts";

// Messages are shown to users (document error column, API 4xx), so they name the problem
// and the limit, never a library or a stack.

export function unreadable(kind: DocumentKind, why: string): AppError {
  return new AppError("document_unreadable", `The ${label(kind)} could not be read: ${why}.`, { kind });
}

export function tooLarge(kind: DocumentKind, reason: LimitReason, limit: number, what: string): AppError {
  return new AppError("document_too_large", `The ${label(kind)} is too large: ${what}.`, {
    kind,
    reason,
    limit,
  });
}

export function typeMismatch(kind: DocumentKind, found?: string): AppError {
  const seen = found ? ` (it looks like ${found})` : "";
  return new AppError("document_type_mismatch", `The file is not a ${label(kind)}${seen}.`, { kind });
}

export function tooComplex(kind: DocumentKind, reason: "time" | "memory", limit: number): AppError {
  const what = reason === "time" ? `took longer than ${limit} ms` : `needed more than ${limit} MB of memory`;
  return new AppError("document_too_complex", `Extracting the ${label(kind)} ${what} and was stopped.`, {
    kind,
    reason,
    limit,
  });
}

function label(kind: DocumentKind): string {
  switch (kind) {
    case "txt":
      return "text file";
    case "markdown":
      return "Markdown file";
    case "html":
      return "HTML file";
    case "pdf":
      return "PDF";
    case "docx":
      return "Word document";
    case "csv":
      return "CSV file";
    case "json":
      return "JSON file";
  }
}
