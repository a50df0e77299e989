import { ProcessRule, type PreProcessingRule, type Segmentation } from "@enclave/contracts";
import { AppError } from "../../errors/app-error.ts";
import { DEFAULT_CLEANUP, unescapeSeparator, type ChunkOptions, type SegmentationOptions } from "./chunk.ts";
import type { CleanupOptions } from "./cleanup.ts";

// Defaults follow Dify: automatic = 500 tokens, 50 overlap, extra spaces removed; custom takes
// the service API's documented defaults (separator "\n", overlap 0); hierarchical defaults to
// paragraph parents of 1024 tokens with 512-token children cut at line ends.
const AUTOMATIC: SegmentationOptions = {
  separator: "\n\n",
  maxTokens: 500,
  chunkOverlap: 50,
  mergeSections: true,
};
const CUSTOM: SegmentationOptions = {
  separator: "\n",
  maxTokens: 500,
  chunkOverlap: 0,
  mergeSections: false,
};
const PARENT: SegmentationOptions = {
  separator: "\n\n",
  maxTokens: 1024,
  chunkOverlap: 0,
  mergeSections: false,
};
const CHILD: SegmentationOptions = { separator: "\n", maxTokens: 512, chunkOverlap: 0, mergeSections: false };

/** Turns a Dify `process_rule` (raw or parsed) into chunking options; a bad rule is a 400. */
export function chunkOptionsFromProcessRule(raw: unknown): ChunkOptions {
  const parsed = ProcessRule.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("validation_failed", "process_rule is not valid", { issues: parsed.error.issues });
  }
  const { mode, rules } = parsed.data;
  if (mode === "automatic") return { mode: "general", ...AUTOMATIC, cleanup: { ...DEFAULT_CLEANUP } };
  const cleanup = cleanupFrom(rules?.pre_processing_rules);
  if (mode === "custom")
    return { mode: "general", ...segmentationFrom(rules?.segmentation, CUSTOM), cleanup };
  return {
    mode: "parent_child",
    parentMode: rules?.parent_mode ?? "paragraph",
    parent: segmentationFrom(rules?.segmentation, PARENT),
    child: segmentationFrom(rules?.subchunk_segmentation, CHILD),
    cleanup,
  };
}

function cleanupFrom(rules: PreProcessingRule[] | undefined): CleanupOptions {
  if (!rules) return { ...DEFAULT_CLEANUP };
  const on = (id: PreProcessingRule["id"]) => rules.some((r) => r.id === id && r.enabled);
  return { removeExtraSpaces: on("remove_extra_spaces"), removeUrlsEmails: on("remove_urls_emails") };
}

function segmentationFrom(seg: Segmentation | undefined, defaults: SegmentationOptions): SegmentationOptions {
  const separator = seg?.separator === undefined ? defaults.separator : unescapeSeparator(seg.separator);
  const maxTokens = seg?.max_tokens ?? defaults.maxTokens;
  const chunkOverlap = seg?.chunk_overlap ?? Math.min(defaults.chunkOverlap, maxTokens - 1);
  if (chunkOverlap >= maxTokens) {
    throw new AppError("validation_failed", "chunk_overlap must be smaller than max_tokens");
  }
  return { separator, maxTokens, chunkOverlap, mergeSections: defaults.mergeSections };
}
