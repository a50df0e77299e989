CREATE TABLE "audit_sink_cursors" (
	"sink_id" text PRIMARY KEY NOT NULL,
	"shipped_seq" bigint DEFAULT -1 NOT NULL,
	"shipped_checkpoint_size" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
