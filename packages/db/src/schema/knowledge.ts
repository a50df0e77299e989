import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
  customType,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import { at, createdAt, id, updatedAt } from "./columns.ts";
import { accounts } from "./accounts.ts";
import { workspaces } from "./workspaces.ts";
import { modelProviders } from "./model-providers.ts";

/** Postgres tsvector, written only by the database (a generated column). */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const DATASET_PERMISSIONS = ["only_me", "all_team_members", "partial_members"] as const;
export const INDEXING_TECHNIQUES = ["economy", "high_quality"] as const;
export const DOCUMENT_STATUSES = [
  "waiting",
  "parsing",
  "splitting",
  "indexing",
  "completed",
  "error",
  "paused",
] as const;
export const DOC_FORMS = ["text_model", "hierarchical_model"] as const;
export const DATA_SOURCE_TYPES = ["upload_file", "text"] as const;
/** chunk: general mode; parent: context returned for its children; child: matched in parent-child mode. */
export const SEGMENT_ROLES = ["chunk", "parent", "child"] as const;

/** The new original and settings of a document being re-indexed, and how far that has got. */
export interface PendingDocumentUpdate {
  name: string;
  fileKey: string;
  fileName: string;
  fileSize: number;
  fileMime: string;
  fileKind: string;
  fileSha256: string;
  docForm: (typeof DOC_FORMS)[number];
  processRule: Record<string, unknown>;
  status: "waiting" | "parsing" | "splitting" | "indexing" | "error";
  error: string | null;
  progressDone: number;
  progressTotal: number;
  requestedAt: string;
}

/**
 * A knowledge base. Who may see it follows Dify: owners/admins always, `only_me` its creator,
 * `partial_members` the accounts in dataset_permissions, `all_team_members` every member.
 */
export const datasets = pgTable(
  "datasets",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    permission: text("permission", { enum: DATASET_PERMISSIONS }).notNull().default("only_me"),
    indexingTechnique: text("indexing_technique", { enum: INDEXING_TECHNIQUES }).notNull().default("economy"),
    embeddingProviderId: uuid("embedding_provider_id").references(() => modelProviders.id, {
      onDelete: "set null",
    }),
    embeddingModel: text("embedding_model"),
    /** Default retrieval settings (Dify retrieval_model shape), used when a caller gives none. */
    retrievalModel: jsonb("retrieval_model").$type<Record<string, unknown>>().notNull().default({}),
    /** Dify's built_in_field_enabled: built-in fields (document_name, uploader, …) shown with documents. */
    builtInMetadataEnabled: boolean("built_in_metadata_enabled").notNull().default(false),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("datasets_ws_name_uq").on(t.workspaceId, t.name)],
);

/** The accounts a `partial_members` dataset is shared with. */
export const datasetPermissions = pgTable(
  "dataset_permissions",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("dataset_permissions_uq").on(t.datasetId, t.accountId)],
);

/** A document of a dataset: its original in the file store, its indexing state, its counts. */
export const documents = pgTable(
  "documents",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    name: text("name").notNull(),
    dataSourceType: text("data_source_type", { enum: DATA_SOURCE_TYPES }).notNull(),
    docForm: text("doc_form", { enum: DOC_FORMS }).notNull().default("text_model"),
    processRule: jsonb("process_rule").$type<Record<string, unknown>>().notNull().default({}),
    fileKey: text("file_key").notNull(),
    fileName: text("file_name").notNull(),
    fileSize: bigint("file_size", { mode: "number" }).notNull(),
    fileMime: text("file_mime").notNull(),
    /** The sniffed kind (txt, md, html, pdf, docx, csv, json): what the extractor is told. */
    fileKind: text("file_kind").notNull(),
    fileSha256: text("file_sha256").notNull(),
    status: text("status", { enum: DOCUMENT_STATUSES }).notNull().default("waiting"),
    error: text("error"),
    progressDone: integer("progress_done").notNull().default(0),
    progressTotal: integer("progress_total").notNull().default(0),
    enabled: boolean("enabled").notNull().default(true),
    archived: boolean("archived").notNull().default(false),
    wordCount: integer("word_count").notNull().default(0),
    tokens: integer("tokens").notNull().default(0),
    /** Custom metadata fields (string, number or ISO time values) used by retrieval filters. */
    metadata: jsonb("metadata").$type<Record<string, string | number>>().notNull().default({}),
    /**
     * A replacement (update-by-text/file) being indexed while the current chunks stay searchable:
     * the worker swaps old for new chunks in one transaction, then clears this.
     */
    pendingUpdate: jsonb("pending_update").$type<PendingDocumentUpdate>(),
    processingStartedAt: at("processing_started_at"),
    parsingCompletedAt: at("parsing_completed_at"),
    /** Set in the transaction that wrote the chunks: a re-run skips parsing and splitting. */
    splittingCompletedAt: at("splitting_completed_at"),
    completedAt: at("completed_at"),
    pausedAt: at("paused_at"),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("documents_dataset_idx").on(t.datasetId, t.position),
    index("documents_ws_idx").on(t.workspaceId),
  ],
);

/**
 * A chunk. `segmented_text` is the content pre-segmented for the 'simple' text search config
 * (CJK split into words); (document, position, child_position) makes re-indexing idempotent.
 */
export const segments = pgTable(
  "segments",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    documentId: uuid("document_id")
      .notNull()
      .references(() => documents.id, { onDelete: "cascade" }),
    role: text("role", { enum: SEGMENT_ROLES }).notNull().default("chunk"),
    /** 1-based among the document's top-level chunks (chunks or parents). */
    position: integer("position").notNull(),
    /** 0 for top-level chunks; 1-based within the parent for children. */
    childPosition: integer("child_position").notNull().default(0),
    parentId: uuid("parent_id").references((): AnyPgColumn => segments.id, { onDelete: "cascade" }),
    content: text("content").notNull(),
    segmentedText: text("segmented_text").notNull(),
    /** to_tsvector('simple', segmented_text), stored so ranking never re-parses the text. */
    searchVector: tsvector("search_vector").generatedAlwaysAs(sql`to_tsvector('simple', segmented_text)`),
    contentHash: text("content_hash").notNull(),
    tokens: integer("tokens").notNull().default(0),
    wordCount: integer("word_count").notNull().default(0),
    enabled: boolean("enabled").notNull().default(true),
    hitCount: integer("hit_count").notNull().default(0),
    /** Added or edited by hand (Dify's child chunk `type: customized`), not as the splitter cut it. */
    customized: boolean("customized").notNull().default(false),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("segments_document_slot_uq").on(t.documentId, t.position, t.childPosition),
    index("segments_dataset_idx").on(t.datasetId),
    index("segments_parent_idx").on(t.parentId),
    index("segments_fts_idx").using("gin", t.searchVector),
  ],
);

export const METADATA_TYPES = ["string", "number", "time"] as const;

/** A custom metadata field of a dataset; documents keep their values under its name in `metadata`. */
export const datasetMetadataFields = pgTable(
  "dataset_metadata_fields",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    type: text("type", { enum: METADATA_TYPES }).notNull(),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("dataset_metadata_fields_name_uq").on(t.datasetId, t.name)],
);

/** A workspace's knowledge tags (Dify tags of type `knowledge`). */
export const knowledgeTags = pgTable(
  "knowledge_tags",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("knowledge_tags_ws_name_uq").on(t.workspaceId, t.name)],
);

/** Which tags a dataset carries. */
export const datasetTagBindings = pgTable(
  "dataset_tag_bindings",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    tagId: uuid("tag_id")
      .notNull()
      .references(() => knowledgeTags.id, { onDelete: "cascade" }),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("dataset_tag_bindings_uq").on(t.tagId, t.datasetId),
    index("dataset_tag_bindings_dataset_idx").on(t.datasetId),
  ],
);

/** Knowledge service API keys (`dataset-…`): workspace-wide, shown once, only a SHA-256 kept. */
export const datasetApiKeys = pgTable(
  "dataset_api_keys",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    tokenPrefix: text("token_prefix").notNull(),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    lastUsedAt: at("last_used_at"),
    revokedAt: at("revoked_at"),
  },
  (t) => [
    uniqueIndex("dataset_api_keys_hash_uq").on(t.tokenHash),
    index("dataset_api_keys_ws_idx").on(t.workspaceId),
  ],
);

// Embeddings live in `segment_embeddings`, created by the migration only where the pgvector
// extension is available (PGlite, the pgvector PostgreSQL image); see core/knowledge/vector-store.ts.
