CREATE TABLE "audit_chain_head" (
	"id" smallint PRIMARY KEY NOT NULL,
	"next_seq" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_chain_head_single_row_ck" CHECK ("audit_chain_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"root_hash" text NOT NULL,
	"frontier" jsonb NOT NULL,
	"note" text NOT NULL,
	"key_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_checkpoints_size_unique" UNIQUE("size")
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "seq" bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "prev_hash" text NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "leaf_hash" text NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_seq_uq" ON "audit_events" USING btree ("seq");--> statement-breakpoint
-- The chain starts empty: seq 0 links to 32 zero bytes.
INSERT INTO "audit_chain_head" ("id", "next_seq", "last_hash")
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION enclave_audit_events_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION enclave_audit_events_reject_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION enclave_audit_events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
