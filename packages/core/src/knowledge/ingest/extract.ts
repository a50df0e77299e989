import { DOCUMENT_KINDS } from "@enclave/contracts";
import { AppError } from "../../errors/app-error.ts";
import { csvToText } from "./csv-text.ts";
import { binaryFormatOf, decodeText, startsWith } from "./decode-text.ts";
import { tooLarge, typeMismatch, unreadable } from "./errors.ts";
import { htmlToText } from "./html-text.ts";
import { JsonTooDeep, MAX_JSON_DEPTH, jsonToText } from "./json-text.ts";
import {
  DEFAULT_EXTRACT_LIMITS,
  type DocumentKind,
  type ExtractLimits,
  type ExtractedDocument,
} from "./types.ts";
import { runExtractionWorker } from "./worker-runner.ts";
import { checkDocxDirectory, readZipDirectory } from "./zip.ts";

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * The text of a document of the given kind. The bytes must really be of that kind, every limit
 * holds, and PDF/DOCX parsing runs in a separate, terminable thread. Fails with an AppError:
 * document_type_mismatch, document_too_large, document_unreadable or document_too_complex.
 */
export async function extractText(
  bytes: Uint8Array,
  kind: DocumentKind,
  limits: Partial<ExtractLimits> = {},
): Promise<ExtractedDocument> {
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw new AppError("unsupported_file_type", "This kind of document is not supported.");
  }
  const l = resolveLimits(limits);
  if (bytes.byteLength > l.maxBytes) {
    throw tooLarge(kind, "bytes", l.maxBytes, `${bytes.byteLength} bytes, over the limit of ${l.maxBytes}`);
  }
  if (bytes.byteLength === 0) throw unreadable(kind, "the file is empty");

  let text: string;
  let pageCount: number | undefined;
  let title: string | undefined;
  switch (kind) {
    case "pdf": {
      if (!hasPdfHeader(bytes)) throw typeMismatch(kind, binaryFormatOf(bytes));
      ({ text, pageCount } = await runExtractionWorker({ kind, bytes, limits: l }));
      break;
    }
    case "docx": {
      if (!startsWith(bytes, ZIP_MAGIC)) throw typeMismatch(kind, binaryFormatOf(bytes));
      const entries = readZipDirectory(bytes, l.maxZipEntries);
      checkDocxDirectory(entries, l);
      ({ text } = await runExtractionWorker({ kind, bytes, limits: l, entries }));
      break;
    }
    case "html":
      ({ text, title } = htmlToText(decodeText(bytes, kind)));
      break;
    case "csv":
      text = csvToText(decodeText(bytes, kind));
      break;
    case "json":
      text = jsonText(decodeText(bytes, kind));
      break;
    case "txt":
    case "markdown":
      text = decodeText(bytes, kind);
      break;
  }
  text = text.trim();
  if (text.length > l.maxChars) {
    throw tooLarge(kind, "chars", l.maxChars, `its text is longer than ${l.maxChars} characters`);
  }
  if (text.length === 0) {
    throw unreadable(
      kind,
      kind === "pdf" ? "it has no text layer (scanned pages need OCR)" : "it contains no text",
    );
  }
  const doc: ExtractedDocument = { kind, text, charCount: text.length };
  if (pageCount !== undefined) doc.pageCount = pageCount;
  if (title) doc.title = title;
  return doc;
}

function resolveLimits(partial: Partial<ExtractLimits>): ExtractLimits {
  const l = { ...DEFAULT_EXTRACT_LIMITS };
  for (const [key, value] of Object.entries(partial) as [keyof ExtractLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0)
      throw new AppError("validation_failed", `extract limit ${key} must be positive`);
    l[key] = value;
  }
  return l;
}

/** PDF readers accept a header within the first KiB (some files start with junk). */
function hasPdfHeader(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length - PDF_MAGIC.length, 1024);
  for (let i = 0; i <= n; i++) if (startsWith(bytes, PDF_MAGIC, i)) return true;
  return false;
}

function jsonText(source: string): string {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw unreadable("json", "it is not valid JSON");
  }
  try {
    return jsonToText(value);
  } catch (err) {
    if (err instanceof JsonTooDeep)
      throw unreadable("json", `it is nested more than ${MAX_JSON_DEPTH} levels deep`);
    throw err;
  }
}
