// The one seam between knowledge verbs and the document-processing core (ingest/, helper ktext).
// TEMPORARY stand-ins below until h/ktext is merged; the verbs only ever call these five names.
import { createHash } from "node:crypto";
import { AppError } from "../errors/app-error.ts";
import { sniffFile } from "../files/sniff.ts";

export interface ChunkOut {
  content: string;
  /** Parent-child mode: the child chunks matched in place of the parent. */
  children?: string[];
}

export interface Sniffed {
  kind: string;
  mime: string;
}

/** Kind from the bytes (sniffFile); images and anything else not a document are refused. */
export function sniffDocument(bytes: Uint8Array, name: string): Sniffed {
  const sniffed = sniffFile(bytes, name);
  if (sniffed.kind !== "document") {
    throw new AppError(
      "unsupported_file_type",
      "knowledge bases take txt, md, html, pdf, docx, csv or json files",
    );
  }
  return { kind: sniffed.extension, mime: sniffed.mime };
}

export async function extractDocumentText(bytes: Uint8Array, kind: string): Promise<string> {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (kind === "html") return text.replace(/<script[\s\S]*?<\/script>/gi, " ").replace(/<[^>]+>/g, " ");
  return text;
}

export function splitDocument(text: string, docForm: string, _rule: unknown): ChunkOut[] {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter(Boolean);
  if (docForm === "hierarchical_model") {
    return paragraphs.map((p) => ({ content: p, children: p.split(/(?<=[.。!?！？])\s*/).filter(Boolean) }));
  }
  return paragraphs.map((content) => ({ content }));
}

const segmenter = new Intl.Segmenter("zh", { granularity: "word" });

/** Text as space-separated lower-case words, for the 'simple' text search configuration. */
export function segmentForIndex(text: string): string {
  const words: string[] = [];
  for (const s of segmenter.segment(text.toLowerCase())) if (s.isWordLike) words.push(s.segment);
  return words.join(" ");
}

/** The query's words (the same segmentation as the index). */
export function segmentQuery(query: string): string[] {
  return segmentForIndex(query).split(" ").filter(Boolean);
}

export function countTokens(text: string): number {
  return segmentQuery(text).length;
}

export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
