import { z } from "zod";

import { ProcessRule } from "./knowledge-process.ts";

export const DATASET_PERMISSIONS = ["only_me", "all_team_members", "partial_members"] as const;
export type DatasetPermission = (typeof DATASET_PERMISSIONS)[number];
export const INDEXING_TECHNIQUES = ["economy", "high_quality"] as const;
export type IndexingTechnique = (typeof INDEXING_TECHNIQUES)[number];
export const DOCUMENT_STATUSES = [
  "waiting",
  "parsing",
  "splitting",
  "indexing",
  "completed",
  "error",
  "paused",
] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export const DOC_FORMS = ["text_model", "hierarchical_model"] as const;
export type DocForm = (typeof DOC_FORMS)[number];
/** Dify's names; `keyword_search` is accepted as full text. */
export const SEARCH_METHODS = [
  "semantic_search",
  "full_text_search",
  "hybrid_search",
  "keyword_search",
] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

export const EmbeddingModelRef = z
  .object({ providerId: z.uuid(), name: z.string().trim().min(1).max(200) })
  .strict();
export type EmbeddingModelRef = z.infer<typeof EmbeddingModelRef>;

export const COMPARISON_OPERATORS = [
  "contains",
  "not contains",
  "start with",
  "end with",
  "is",
  "is not",
  "empty",
  "not empty",
  "=",
  "≠",
  ">",
  "<",
  "≥",
  "≤",
  "before",
  "after",
  "in",
  "not in",
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
/** Built-in metadata fields every document has; anything else names a custom field. */
export const BUILTIN_METADATA = [
  "document_name",
  "uploader",
  "upload_date",
  "last_update_date",
  "source",
] as const;
export const METADATA_TYPES = ["string", "number", "time"] as const;
export type MetadataType = (typeof METADATA_TYPES)[number];

/** A custom metadata field name: it is a JSON key and a filter name, so a plain identifier. */
export const MetadataFieldName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "letters, digits and _ only");

const conditionValue = z.union([z.string().max(1000), z.number()]);

export const MetadataCondition = z
  .object({
    name: MetadataFieldName,
    comparisonOperator: z.enum(COMPARISON_OPERATORS),
    /** A list only for `in` / `not in`. */
    value: z
      .union([conditionValue, z.array(conditionValue).min(1).max(100)])
      .nullable()
      .optional(),
  })
  .strict();
export type MetadataCondition = z.infer<typeof MetadataCondition>;

export const MetadataFilter = z
  .object({
    logicalOperator: z.enum(["and", "or"]).default("and"),
    conditions: z.array(MetadataCondition).min(1).max(20),
  })
  .strict();
export type MetadataFilter = z.infer<typeof MetadataFilter>;

/** How a query is run against datasets: method, how many, how good, which documents. */
export const RetrievalSettings = z
  .object({
    searchMethod: z.enum(SEARCH_METHODS).optional(),
    topK: z.number().int().min(1).max(100).default(4),
    scoreThreshold: z.number().min(0).max(1).nullable().default(null),
    /** Hybrid only: weighted sum of normalised scores, or reciprocal rank fusion. */
    hybridMethod: z.enum(["weighted_score", "rrf"]).default("weighted_score"),
    vectorWeight: z.number().min(0).max(1).default(0.7),
    metadataFilter: MetadataFilter.nullable().default(null),
    /** Re-orders the candidates with a rerank model; `scoreThreshold` then applies to its scores. */
    rerank: z
      .object({ providerId: z.uuid(), model: z.string().trim().min(1).max(200) })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();
export type RetrievalSettings = z.infer<typeof RetrievalSettings>;

const datasetName = z.string().trim().min(1).max(100);
const datasetDescription = z.string().trim().max(2000);

export const CreateDatasetInput = z
  .object({
    name: datasetName,
    description: datasetDescription.default(""),
    permission: z.enum(DATASET_PERMISSIONS).default("only_me"),
    indexingTechnique: z.enum(INDEXING_TECHNIQUES).default("economy"),
    embeddingModel: EmbeddingModelRef.nullable().default(null),
    retrieval: RetrievalSettings.optional(),
    /** partial_members: the accounts (besides owners/admins and the creator) who may see it. */
    memberIds: z.array(z.uuid()).max(500).optional(),
  })
  .strict();
export type CreateDatasetInput = z.infer<typeof CreateDatasetInput>;

export const UpdateDatasetInput = z
  .object({
    name: datasetName.optional(),
    description: datasetDescription.optional(),
    permission: z.enum(DATASET_PERMISSIONS).optional(),
    indexingTechnique: z.enum(INDEXING_TECHNIQUES).optional(),
    embeddingModel: EmbeddingModelRef.nullable().optional(),
    retrieval: RetrievalSettings.optional(),
    memberIds: z.array(z.uuid()).max(500).optional(),
  })
  .strict();
export type UpdateDatasetInput = z.infer<typeof UpdateDatasetInput>;

export const SetDatasetMembersInput = z.object({ memberIds: z.array(z.uuid()).max(500) }).strict();
export type SetDatasetMembersInput = z.infer<typeof SetDatasetMembersInput>;

export interface DatasetView {
  id: string;
  name: string;
  description: string;
  permission: DatasetPermission;
  indexingTechnique: IndexingTechnique;
  embeddingModel: EmbeddingModelRef | null;
  retrieval: RetrievalSettings;
  memberIds: string[];
  documentCount: number;
  wordCount: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const metadataValues = z
  .record(MetadataFieldName, z.union([z.string().max(1000), z.number()]))
  .refine((r) => Object.keys(r).length <= 50, "at most 50 metadata fields");

export const CreateTextDocumentInput = z
  .object({
    name: z.string().trim().min(1).max(255),
    text: z.string().min(1).max(5_000_000),
    docForm: z.enum(DOC_FORMS).default("text_model"),
    processRule: ProcessRule.optional(),
    metadata: metadataValues.default({}),
  })
  .strict();
export type CreateTextDocumentInput = z.infer<typeof CreateTextDocumentInput>;

/** The non-file fields of a file upload (multipart `data` field, JSON). */
export const CreateFileDocumentInput = z
  .object({
    docForm: z.enum(DOC_FORMS).default("text_model"),
    processRule: ProcessRule.optional(),
    metadata: metadataValues.default({}),
  })
  .strict();
export type CreateFileDocumentInput = z.infer<typeof CreateFileDocumentInput>;

export const UpdateDocumentInput = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    enabled: z.boolean().optional(),
    archived: z.boolean().optional(),
    metadata: metadataValues.optional(),
  })
  .strict();
export type UpdateDocumentInput = z.infer<typeof UpdateDocumentInput>;

export interface DocumentView {
  id: string;
  datasetId: string;
  position: number;
  name: string;
  dataSourceType: "upload_file" | "text";
  docForm: DocForm;
  file: { name: string; size: number; mime: string; sha256: string };
  status: DocumentStatus;
  error: string | null;
  progress: { done: number; total: number };
  enabled: boolean;
  archived: boolean;
  wordCount: number;
  tokens: number;
  metadata: Record<string, string | number>;
  createdBy: string | null;
  createdAt: string;
  processingStartedAt: string | null;
  parsingCompletedAt: string | null;
  splittingCompletedAt: string | null;
  pausedAt: string | null;
  completedAt: string | null;
}

export const ListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    keyword: z.string().trim().max(200).optional(),
  })
  .strict();
export type ListQuery = z.infer<typeof ListQuery>;

const segmentContent = z.string().trim().min(1).max(100_000);

export const CreateSegmentInput = z
  .object({ content: segmentContent, enabled: z.boolean().default(true) })
  .strict();
export type CreateSegmentInput = z.infer<typeof CreateSegmentInput>;

export const UpdateSegmentInput = z
  .object({ content: segmentContent.optional(), enabled: z.boolean().optional() })
  .strict();
export type UpdateSegmentInput = z.infer<typeof UpdateSegmentInput>;

export interface SegmentView {
  id: string;
  documentId: string;
  position: number;
  role: "chunk" | "parent" | "child";
  parentId: string | null;
  content: string;
  tokens: number;
  wordCount: number;
  enabled: boolean;
  hitCount: number;
  createdAt: string;
  updatedAt: string;
}

export const HitTestingInput = z
  .object({ query: z.string().trim().min(1).max(2000), retrieval: RetrievalSettings.optional() })
  .strict();
export type HitTestingInput = z.infer<typeof HitTestingInput>;

/** One retrieved chunk with its score (0..1) and, in parent-child mode, the parent as context. */
export interface RetrievedChunk {
  segmentId: string;
  datasetId: string;
  datasetName: string;
  documentId: string;
  documentName: string;
  position: number;
  content: string;
  /** The parent's text in parent-child mode (what a prompt should quote), else the chunk's. */
  context: string;
  score: number;
  tokens: number;
}

export const DatasetParams = z.object({ id: z.uuid() }).strict();
export const DocumentParams = z.object({ id: z.uuid(), documentId: z.uuid() }).strict();
export const SegmentParams = z.object({ id: z.uuid(), documentId: z.uuid(), segmentId: z.uuid() }).strict();
export const DatasetKeyParams = z.object({ keyId: z.uuid() }).strict();

/** Attaching datasets to an app: which, and how to retrieve from them. */
export const AppDatasetsConfig = z
  .object({
    datasetIds: z.array(z.uuid()).max(20).default([]),
    retrieval: RetrievalSettings.default(RetrievalSettings.parse({})),
  })
  .strict();
export type AppDatasetsConfig = z.infer<typeof AppDatasetsConfig>;
