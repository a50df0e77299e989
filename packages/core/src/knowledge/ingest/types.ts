import type { DocumentKind } from "@enclave/contracts";

export type { DocumentKind };

/** Bounds on one extraction; every one is enforced before or while the text is produced. */
export interface ExtractLimits {
  /** Largest input accepted, in bytes. */
  maxBytes: number;
  /** Most PDF pages; the page count is read before any text is extracted. */
  maxPages: number;
  /** Most characters of extracted text; a document past it is refused, not truncated. */
  maxChars: number;
  /** Wall-clock budget of a PDF/DOCX extraction; the worker thread is terminated past it. */
  timeoutMs: number;
  /** V8 heap (old generation) of the extraction worker, in MB. */
  workerMemoryMb: number;
  /** DOCX: total uncompressed size of all zip entries. */
  maxUncompressedBytes: number;
  /** DOCX: most zip entries. */
  maxZipEntries: number;
  /** DOCX: uncompressed/compressed ratio allowed for any entry larger than 256 KiB. */
  maxCompressionRatio: number;
}

export const DEFAULT_EXTRACT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  maxBytes: 15 * 1024 * 1024,
  maxPages: 2000,
  // Above maxBytes, so a text file within the byte limit is never refused for its length.
  maxChars: 16_000_000,
  timeoutMs: 60_000,
  workerMemoryMb: 512,
  maxUncompressedBytes: 200 * 1024 * 1024,
  maxZipEntries: 5000,
  maxCompressionRatio: 200,
});

/** The text of a document, ready for cleaning and chunking. */
export interface ExtractedDocument {
  kind: DocumentKind;
  /** Plain text with paragraphs separated by blank lines. */
  text: string;
  /** Length of `text` in UTF-16 code units. */
  charCount: number;
  /** Number of pages, for paginated formats (PDF). */
  pageCount?: number;
  /** Document title when the format carries one (HTML `<title>`). */
  title?: string;
}

/** Why a limit refused a document, in AppError details. */
export type LimitReason =
  "bytes" | "pages" | "chars" | "zip_entries" | "zip_uncompressed_bytes" | "zip_ratio" | "time" | "memory";
