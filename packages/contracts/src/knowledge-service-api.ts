import { z } from "zod";
import { ProcessRule } from "./knowledge-process.ts";
import {
  COMPARISON_OPERATORS,
  DATASET_PERMISSIONS,
  DOC_FORMS,
  INDEXING_TECHNIQUES,
  METADATA_TYPES,
  MetadataFieldName,
  SEARCH_METHODS,
} from "./knowledge.ts";

// Dify's knowledge service API bodies (/v1/datasets…), field for field. Fields Dify documents but
// Enclave has no use for (doc_language, provider, external_*) are accepted and ignored; anything
// else is refused, as everywhere.

const ignored = z.unknown().optional();

export const DifyRetrievalModel = z
  .object({
    search_method: z.enum(SEARCH_METHODS).optional(),
    reranking_enable: z.boolean().optional(),
    reranking_model: z.record(z.string(), z.unknown()).nullish(),
    reranking_mode: z.enum(["reranking_model", "weighted_score"]).nullish(),
    top_k: z.number().int().min(1).max(100).optional(),
    score_threshold_enabled: z.boolean().optional(),
    score_threshold: z.number().min(0).max(1).nullish(),
    weights: z
      .object({
        weight_type: z.enum(["semantic_first", "keyword_first", "customized"]).optional(),
        vector_setting: z
          .object({
            vector_weight: z.number().min(0).max(1).optional(),
            embedding_provider_name: z.string().max(200).optional(),
            embedding_model_name: z.string().max(200).optional(),
          })
          .strict()
          .optional(),
        keyword_setting: z
          .object({ keyword_weight: z.number().min(0).max(1).optional() })
          .strict()
          .optional(),
      })
      .strict()
      .nullish(),
    metadata_filtering_conditions: z
      .object({
        logical_operator: z.enum(["and", "or"]).nullish(),
        conditions: z
          .array(
            z
              .object({
                name: z.string().min(1).max(64),
                comparison_operator: z.enum(COMPARISON_OPERATORS),
                value: z
                  .union([
                    z.string().max(1000),
                    z.number(),
                    z
                      .array(z.union([z.string().max(1000), z.number()]))
                      .min(1)
                      .max(100),
                  ])
                  .nullish(),
              })
              .strict(),
          )
          .max(20)
          .nullish(),
      })
      .strict()
      .nullish(),
  })
  .strict();
export type DifyRetrievalModel = z.infer<typeof DifyRetrievalModel>;

const embedding = {
  embedding_model: z.string().trim().min(1).max(200).nullish(),
  /** Enclave: the id of a model provider of the workspace. */
  embedding_model_provider: z.uuid().nullish(),
};

export const DifyCreateDataset = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(2000).default(""),
    indexing_technique: z.enum(INDEXING_TECHNIQUES).nullish(),
    permission: z.enum(DATASET_PERMISSIONS).default("only_me"),
    retrieval_model: DifyRetrievalModel.optional(),
    ...embedding,
    provider: z.literal("vendor").optional(),
    external_knowledge_api_id: ignored,
    external_knowledge_id: ignored,
    summary_index_setting: ignored,
  })
  .strict();
export type DifyCreateDataset = z.infer<typeof DifyCreateDataset>;

export const DifyUpdateDataset = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(2000).optional(),
    indexing_technique: z.enum(INDEXING_TECHNIQUES).optional(),
    permission: z.enum(DATASET_PERMISSIONS).optional(),
    retrieval_model: DifyRetrievalModel.optional(),
    partial_member_list: z
      .array(z.object({ user_id: z.uuid() }).strict())
      .max(500)
      .optional(),
    ...embedding,
    external_knowledge_api_id: ignored,
    external_knowledge_id: ignored,
    external_retrieval_model: ignored,
  })
  .strict();
export type DifyUpdateDataset = z.infer<typeof DifyUpdateDataset>;

const documentSettings = {
  indexing_technique: z.enum(INDEXING_TECHNIQUES).optional(),
  doc_form: z.enum(DOC_FORMS).default("text_model"),
  doc_language: z.string().max(50).optional(),
  process_rule: ProcessRule.optional(),
  retrieval_model: DifyRetrievalModel.optional(),
  ...embedding,
  original_document_id: ignored,
};

export const DifyCreateByText = z
  .object({
    name: z.string().trim().min(1).max(255),
    text: z.string().min(1).max(5_000_000),
    ...documentSettings,
  })
  .strict();
export type DifyCreateByText = z.infer<typeof DifyCreateByText>;

export const DifyCreateByFileData = z.object(documentSettings).strict();
export type DifyCreateByFileData = z.infer<typeof DifyCreateByFileData>;

const segmentText = z.string().trim().min(1).max(100_000);

export const DifyCreateSegments = z
  .object({
    segments: z
      .array(
        z
          .object({
            content: segmentText,
            answer: z.string().max(100_000).optional(),
            keywords: z.array(z.string().max(200)).max(50).optional(),
            attachment_ids: ignored,
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict();
export type DifyCreateSegments = z.infer<typeof DifyCreateSegments>;

export const DifyUpdateSegment = z
  .object({
    segment: z
      .object({
        content: segmentText.optional(),
        answer: z.string().max(100_000).optional(),
        keywords: z.array(z.string().max(200)).max(50).optional(),
        enabled: z.boolean().optional(),
        regenerate_child_chunks: z.boolean().optional(),
        attachment_ids: ignored,
        summary: ignored,
      })
      .strict(),
  })
  .strict();
export type DifyUpdateSegment = z.infer<typeof DifyUpdateSegment>;

export const DifyRetrieve = z
  .object({
    query: z.string().trim().min(1).max(2000),
    retrieval_model: DifyRetrievalModel.optional(),
    attachment_ids: ignored,
    external_retrieval_model: ignored,
  })
  .strict();
export type DifyRetrieve = z.infer<typeof DifyRetrieve>;

export const DifyListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    keyword: z.string().trim().max(200).optional(),
    status: z.string().max(20).optional(),
    /** Datasets list only: those carrying any of these tags (`tag_ids=a&tag_ids=b`). */
    tag_ids: z
      .union([z.uuid(), z.array(z.uuid()).max(50)])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .optional(),
    include_all: ignored,
  })
  .strict();
export type DifyListQuery = z.infer<typeof DifyListQuery>;

/** update-by-text: a new text re-indexes the document (name is then required, as in Dify). */
export const DifyUpdateByText = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    text: z.string().min(1).max(5_000_000).optional(),
    ...documentSettings,
    doc_form: z.enum(DOC_FORMS).optional(),
  })
  .strict()
  .refine((b) => b.text === undefined || b.name !== undefined, {
    message: "name is required when text is given",
    path: ["name"],
  });
export type DifyUpdateByText = z.infer<typeof DifyUpdateByText>;

export const DifyUpdateByFileData = z
  .object({
    ...documentSettings,
    doc_form: z.enum(DOC_FORMS).optional(),
    name: z.string().trim().min(1).max(255).optional(),
  })
  .strict();
export type DifyUpdateByFileData = z.infer<typeof DifyUpdateByFileData>;

export const DOCUMENT_STATUS_ACTIONS = ["enable", "disable", "archive", "un_archive"] as const;
export type DocumentStatusAction = (typeof DOCUMENT_STATUS_ACTIONS)[number];

export const DifyDocumentIds = z.object({ document_ids: z.array(z.uuid()).min(1).max(100) }).strict();
export type DifyDocumentIds = z.infer<typeof DifyDocumentIds>;

export const DifyCreateMetadataField = z
  .object({ type: z.enum(METADATA_TYPES), name: MetadataFieldName })
  .strict();
export const DifyRenameMetadataField = z.object({ name: MetadataFieldName }).strict();
export const DifyMetadataParams = z.object({ dataset_id: z.uuid(), metadata_id: z.uuid() }).strict();
export const DifyBuiltInParams = z
  .object({ dataset_id: z.uuid(), action: z.enum(["enable", "disable"]) })
  .strict();

export const DifyDocumentsMetadata = z
  .object({
    operation_data: z
      .array(
        z
          .object({
            document_id: z.uuid(),
            metadata_list: z
              .array(
                z
                  .object({
                    id: z.uuid(),
                    name: MetadataFieldName,
                    value: z.union([z.string().max(1000), z.number()]).nullish(),
                  })
                  .strict(),
              )
              .max(50),
            partial_update: z.boolean().default(false),
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict();
export type DifyDocumentsMetadata = z.infer<typeof DifyDocumentsMetadata>;

const tagName = z.string().trim().min(1).max(50);
export const DifyCreateTag = z.object({ name: tagName }).strict();
export const DifyRenameTag = z.object({ tag_id: z.uuid(), name: tagName }).strict();
export const DifyDeleteTag = z.object({ tag_id: z.uuid() }).strict();
export const DifyBindTags = z
  .object({ tag_ids: z.array(z.uuid()).min(1).max(50), target_id: z.uuid() })
  .strict();
/** Unbinding also takes Dify's legacy single `tag_id`. */
export const DifyUnbindTags = z
  .object({
    tag_ids: z.array(z.uuid()).min(1).max(50).optional(),
    tag_id: z.uuid().optional(),
    target_id: z.uuid(),
  })
  .strict()
  .refine((b) => b.tag_ids !== undefined || b.tag_id !== undefined, {
    message: "tag_ids is required",
    path: ["tag_ids"],
  });

export const DifyChildChunkBody = z.object({ content: segmentText }).strict();
export const DifyChildChunkParams = z
  .object({ dataset_id: z.uuid(), document_id: z.uuid(), segment_id: z.uuid(), child_chunk_id: z.uuid() })
  .strict();

export const DifyDatasetParams = z.object({ dataset_id: z.uuid() }).strict();
export const DifyDocumentParams = z.object({ dataset_id: z.uuid(), document_id: z.uuid() }).strict();
export const DifyBatchParams = z.object({ dataset_id: z.uuid(), batch: z.string().min(1).max(64) }).strict();
export const DifyStatusParams = z.object({ dataset_id: z.uuid(), action: z.string().max(40) }).strict();
export const DifySegmentParams = z
  .object({ dataset_id: z.uuid(), document_id: z.uuid(), segment_id: z.uuid() })
  .strict();
