import { z } from "zod";

/** The document formats the ingestion pipeline extracts text from. */
export const DOCUMENT_KINDS = ["txt", "markdown", "html", "pdf", "docx", "csv", "json"] as const;
export const DocumentKind = z.enum(DOCUMENT_KINDS);
export type DocumentKind = z.infer<typeof DocumentKind>;

export const PRE_PROCESSING_RULE_IDS = [
  "remove_stopwords",
  "remove_extra_spaces",
  "remove_urls_emails",
] as const;
export const PROCESS_RULE_MODES = ["automatic", "custom", "hierarchical"] as const;
export const PARENT_MODES = ["paragraph", "full_doc"] as const;

/** Largest chunk a process rule may ask for (Dify's default segmentation cap). */
export const MAX_SEGMENT_TOKENS = 4000;

export const PreProcessingRule = z
  .object({ id: z.enum(PRE_PROCESSING_RULE_IDS), enabled: z.boolean() })
  .strict();
export type PreProcessingRule = z.infer<typeof PreProcessingRule>;

function segmentation(minTokens: number) {
  return z
    .object({
      // Dify clients send the separator escaped ("\\n"); it is unescaped when options are built.
      separator: z.string().min(1).max(64).optional(),
      max_tokens: z.number().int().min(minTokens).max(MAX_SEGMENT_TOKENS).optional(),
      chunk_overlap: z.number().int().min(0).max(MAX_SEGMENT_TOKENS).optional(),
    })
    .strict()
    .refine((s) => s.chunk_overlap === undefined || s.chunk_overlap < (s.max_tokens ?? 500), {
      message: "chunk_overlap must be smaller than max_tokens",
      path: ["chunk_overlap"],
    });
}

/** Dify's `rules.segmentation`: how text is cut into chunks (or parent chunks). */
export const Segmentation = segmentation(50);
export type Segmentation = z.infer<typeof Segmentation>;

/** Dify's `rules.subchunk_segmentation`: how parents are cut into child chunks. */
export const SubchunkSegmentation = segmentation(10);
export type SubchunkSegmentation = z.infer<typeof SubchunkSegmentation>;

export const ProcessRuleRules = z
  .object({
    pre_processing_rules: z.array(PreProcessingRule).max(10).optional(),
    segmentation: Segmentation.optional(),
    parent_mode: z.enum(PARENT_MODES).optional(),
    subchunk_segmentation: SubchunkSegmentation.optional(),
  })
  .strict();
export type ProcessRuleRules = z.infer<typeof ProcessRuleRules>;

/**
 * Dify's `process_rule`: `automatic` uses built-in rules (any `rules` are ignored), `custom`
 * applies `rules`, `hierarchical` makes parent chunks with child chunks for matching.
 */
export const ProcessRule = z
  .object({
    mode: z.enum(PROCESS_RULE_MODES),
    rules: ProcessRuleRules.nullish(),
  })
  .strict();
export type ProcessRule = z.infer<typeof ProcessRule>;
