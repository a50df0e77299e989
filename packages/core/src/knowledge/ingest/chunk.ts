import { createHash } from "node:crypto";
import { MAX_SEGMENT_TOKENS } from "@enclave/contracts";
import { AppError } from "../../errors/app-error.ts";
import { cleanText, type CleanupOptions } from "./cleanup.ts";
import { splitToChunks } from "./split.ts";
import { countTokens } from "./tokens.ts";

/** How one level of text is cut into chunks. */
export interface SegmentationOptions {
  /** Fixed separator, already unescaped; text is always cut here first. */
  separator: string;
  maxTokens: number;
  /** Tokens of the previous chunk repeated at the start of the next (within one section). */
  chunkOverlap: number;
  /**
   * false (Dify "custom"): each separator section makes its own chunks, never joined with the
   * next. true (Dify "automatic"): small sections are packed together up to maxTokens.
   */
  mergeSections: boolean;
}

export interface GeneralChunkOptions extends SegmentationOptions {
  mode: "general";
  cleanup: CleanupOptions;
}

export interface ParentChildChunkOptions {
  mode: "parent_child";
  /** "paragraph": parents cut by `parent`; "full_doc": the whole text is one parent. */
  parentMode: "paragraph" | "full_doc";
  parent: SegmentationOptions;
  child: SegmentationOptions;
  cleanup: CleanupOptions;
}

export type ChunkOptions = GeneralChunkOptions | ParentChildChunkOptions;

export interface Chunk {
  /** 1-based position in the document (or, for a child, in its parent), as Dify numbers segments. */
  position: number;
  content: string;
  tokens: number;
  /** SHA-256 of `content`, hex: identical text gives the identical hash, so re-indexing is idempotent. */
  hash: string;
}

export interface ParentChunk extends Chunk {
  children: Chunk[];
}

export type ChunkResult =
  | { mode: "general"; chunks: Chunk[] }
  | { mode: "parent_child"; parents: ParentChunk[]; /** full_doc past its cap */ truncated: boolean };

/** Dify caps a full-document parent; text past it is not indexed (and `truncated` says so). */
export const FULL_DOC_MAX_TOKENS = 10_000;

export const DEFAULT_CLEANUP: Readonly<CleanupOptions> = Object.freeze({
  removeExtraSpaces: true,
  removeUrlsEmails: false,
});

export const DEFAULT_SEGMENTATION: Readonly<SegmentationOptions> = Object.freeze({
  separator: "\n\n",
  maxTokens: 500,
  chunkOverlap: 0,
  mergeSections: false,
});

/** Dify sends separators escaped ("\\n\\n"); turn \n, \r, \t and \\ into the characters. */
export function unescapeSeparator(separator: string): string {
  return separator.replace(/\\([nrt\\])/g, (_, c: string) =>
    c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : "\\",
  );
}

/** Cuts (already extracted) text into chunks: the same text and options give the same chunks. */
export function chunkDocument(text: string, options: ChunkOptions): ChunkResult {
  const cleaned = cleanText(text, options.cleanup);
  if (options.mode === "general") {
    return { mode: "general", chunks: toChunks(segment(cleaned, checkSegmentation(options))) };
  }
  const parentSeg = checkSegmentation(options.parent);
  const childSeg = checkSegmentation(options.child);
  let parents: string[];
  let truncated = false;
  if (options.parentMode === "full_doc") {
    const whole = cleaned.trim();
    const capped = capTokens(whole, FULL_DOC_MAX_TOKENS);
    truncated = capped.length < whole.length;
    parents = capped.length > 0 ? [capped] : [];
  } else {
    parents = segment(cleaned, parentSeg);
  }
  return {
    mode: "parent_child",
    truncated,
    parents: toChunks(parents).map((p) => ({ ...p, children: toChunks(segment(p.content, childSeg)) })),
  };
}

function segment(text: string, seg: SegmentationOptions): string[] {
  const budget = { maxTokens: seg.maxTokens, overlap: seg.chunkOverlap };
  if (seg.mergeSections) return splitToChunks(text, budget, separatorPattern(seg.separator));
  const out: string[] = [];
  for (const section of text.split(seg.separator)) out.push(...splitToChunks(section, budget));
  return out;
}

function separatorPattern(separator: string): RegExp {
  return new RegExp(separator.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g");
}

function toChunks(contents: string[]): Chunk[] {
  return contents.map((content, i) => ({
    position: i + 1,
    content,
    tokens: countTokens(content),
    hash: createHash("sha256").update(content).digest("hex"),
  }));
}

/** The longest prefix within `maxTokens`, cut at the last blank line or line end that fits. */
function capTokens(text: string, maxTokens: number): string {
  if (countTokens(text) <= maxTokens) return text;
  const first = splitToChunks(text, { maxTokens, overlap: 0 })[0] ?? "";
  return first;
}

function checkSegmentation(seg: SegmentationOptions): SegmentationOptions {
  const bad = (message: string) => new AppError("validation_failed", message);
  if (typeof seg.separator !== "string" || seg.separator.length === 0)
    throw bad("separator must not be empty");
  if (!Number.isInteger(seg.maxTokens) || seg.maxTokens < 1 || seg.maxTokens > MAX_SEGMENT_TOKENS) {
    throw bad(`max_tokens must be an integer from 1 to ${MAX_SEGMENT_TOKENS}`);
  }
  if (!Number.isInteger(seg.chunkOverlap) || seg.chunkOverlap < 0 || seg.chunkOverlap >= seg.maxTokens) {
    throw bad("chunk_overlap must be an integer from 0 to below max_tokens");
  }
  return seg;
}
