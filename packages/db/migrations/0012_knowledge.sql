CREATE TABLE "dataset_api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"token_prefix" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dataset_permissions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"permission" text DEFAULT 'only_me' NOT NULL,
	"indexing_technique" text DEFAULT 'economy' NOT NULL,
	"embedding_provider_id" uuid,
	"embedding_model" text,
	"retrieval_model" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"data_source_type" text NOT NULL,
	"doc_form" text DEFAULT 'text_model' NOT NULL,
	"process_rule" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"file_key" text NOT NULL,
	"file_name" text NOT NULL,
	"file_size" bigint NOT NULL,
	"file_mime" text NOT NULL,
	"file_kind" text NOT NULL,
	"file_sha256" text NOT NULL,
	"status" text DEFAULT 'waiting' NOT NULL,
	"error" text,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"word_count" integer DEFAULT 0 NOT NULL,
	"tokens" integer DEFAULT 0 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"processing_started_at" timestamp with time zone,
	"parsing_completed_at" timestamp with time zone,
	"splitting_completed_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"paused_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"role" text DEFAULT 'chunk' NOT NULL,
	"position" integer NOT NULL,
	"child_position" integer DEFAULT 0 NOT NULL,
	"parent_id" uuid,
	"content" text NOT NULL,
	"segmented_text" text NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', segmented_text)) STORED,
	"content_hash" text NOT NULL,
	"tokens" integer DEFAULT 0 NOT NULL,
	"word_count" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"hit_count" integer DEFAULT 0 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dataset_api_keys" ADD CONSTRAINT "dataset_api_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_api_keys" ADD CONSTRAINT "dataset_api_keys_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_permissions" ADD CONSTRAINT "dataset_permissions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_permissions" ADD CONSTRAINT "dataset_permissions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_permissions" ADD CONSTRAINT "dataset_permissions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_embedding_provider_id_model_providers_id_fk" FOREIGN KEY ("embedding_provider_id") REFERENCES "public"."model_providers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_parent_id_segments_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."segments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_api_keys_hash_uq" ON "dataset_api_keys" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "dataset_api_keys_ws_idx" ON "dataset_api_keys" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_permissions_uq" ON "dataset_permissions" USING btree ("dataset_id","account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_ws_name_uq" ON "datasets" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE INDEX "documents_dataset_idx" ON "documents" USING btree ("dataset_id","position");--> statement-breakpoint
CREATE INDEX "documents_ws_idx" ON "documents" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "segments_document_slot_uq" ON "segments" USING btree ("document_id","position","child_position");--> statement-breakpoint
CREATE INDEX "segments_dataset_idx" ON "segments" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "segments_parent_idx" ON "segments" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "segments_fts_idx" ON "segments" USING gin ("search_vector");--> statement-breakpoint
-- Embeddings need pgvector: created only where the extension is available (PGlite, the pgvector
-- PostgreSQL image). Without it, economy (full-text) datasets still work; high_quality is refused.
-- One HNSW index per common dimension, each a partial expression index (a column of mixed models).
DO $$
DECLARE
  d integer;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
    EXECUTE 'CREATE TABLE IF NOT EXISTS "segment_embeddings" (
      "segment_id" uuid PRIMARY KEY REFERENCES "segments"("id") ON DELETE CASCADE,
      "workspace_id" uuid NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
      "dataset_id" uuid NOT NULL REFERENCES "datasets"("id") ON DELETE CASCADE,
      "model" text NOT NULL,
      "dims" integer NOT NULL,
      "embedding" vector NOT NULL,
      "created_at" timestamp with time zone DEFAULT now() NOT NULL
    )';
    EXECUTE 'CREATE INDEX IF NOT EXISTS "segment_embeddings_dataset_idx" ON "segment_embeddings" ("dataset_id", "dims")';
    FOREACH d IN ARRAY ARRAY[256, 384, 512, 768, 1024, 1536] LOOP
      EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON "segment_embeddings" USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WHERE dims = %s',
        'segment_embeddings_hnsw_' || d, d, d);
    END LOOP;
  END IF;
END $$;
