// The one seam between knowledge verbs and the document-processing core (ingest/).
import type { DocForm, DocumentKind } from "@enclave/contracts";
import { AppError } from "../errors/app-error.ts";
import { sniffFile } from "../files/sniff.ts";
import {
  chunkDocument,
  chunkOptionsFromProcessRule,
  countTokens as ingestCountTokens,
  documentKindFromExtension,
  extractText,
  segmentForIndex as ingestSegmentForIndex,
  segmentQuery as ingestSegmentQuery,
  type ChunkOptions,
} from "./ingest/index.ts";

export interface ChunkOut {
  content: string;
  tokens: number;
  hash: string;
  /** Parent-child mode: the child chunks matched in place of the parent. */
  children?: { content: string; tokens: number; hash: string }[];
}

export interface Sniffed {
  kind: DocumentKind;
  mime: string;
}

/** Kind from the bytes (sniffFile); images and anything else not a knowledge document are refused. */
export function sniffDocument(bytes: Uint8Array, name: string): Sniffed {
  const sniffed = sniffFile(bytes, name);
  const kind = sniffed.kind === "document" ? documentKindFromExtension(sniffed.extension) : undefined;
  if (!kind) {
    throw new AppError(
      "unsupported_file_type",
      "knowledge bases take txt, md, html, pdf, docx, csv or json files",
    );
  }
  return { kind, mime: sniffed.mime };
}

/** The document's plain text; limits (size, pages, time, zip ratios) are enforced by ingest. */
export async function extractDocumentText(bytes: Uint8Array, kind: string): Promise<string> {
  return (await extractText(bytes, kind as DocumentKind)).text;
}

/**
 * The doc form and a checked process rule for a new document: a hierarchical rule means
 * parent-child, and parent-child without a rule gets Dify's hierarchical defaults. A bad rule is a 400.
 */
export function settleProcessRule(docForm: DocForm, rule: unknown): { docForm: DocForm; rule: unknown } {
  const mode = (rule as { mode?: unknown } | undefined)?.mode;
  const form: DocForm = mode === "hierarchical" ? "hierarchical_model" : docForm;
  const settled = rule ?? { mode: form === "hierarchical_model" ? "hierarchical" : "automatic" };
  const options = chunkOptionsFromProcessRule(settled);
  if (form === "hierarchical_model" && options.mode !== "parent_child") {
    throw new AppError("validation_failed", "doc_form hierarchical_model needs a hierarchical process_rule");
  }
  return { docForm: form, rule: settled };
}

export function splitDocument(text: string, _docForm: string, rule: unknown): ChunkOut[] {
  const options: ChunkOptions = chunkOptionsFromProcessRule(rule ?? { mode: "automatic" });
  const result = chunkDocument(text, options);
  if (result.mode === "general") {
    return result.chunks.map((c) => ({ content: c.content, tokens: c.tokens, hash: c.hash }));
  }
  return result.parents.map((p) => ({
    content: p.content,
    tokens: p.tokens,
    hash: p.hash,
    children: p.children.map((c) => ({ content: c.content, tokens: c.tokens, hash: c.hash })),
  }));
}

/** Text as space-separated words (CJK segmented), for the 'simple' text search configuration. */
export function segmentForIndex(text: string): string {
  return ingestSegmentForIndex(text);
}

/** The query's words, segmented like the index. */
export function segmentQuery(query: string): string[] {
  return ingestSegmentQuery(query);
}

export function countTokens(text: string): number {
  return ingestCountTokens(text);
}

export { contentHash } from "./content-hash.ts";
