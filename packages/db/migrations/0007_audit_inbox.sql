CREATE TABLE "audit_inbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"ip" text,
	"user_agent" text,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"outcome" text NOT NULL,
	"request_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_inbox_outcome_ck" CHECK ("audit_inbox"."outcome" in ('success', 'failure', 'denied'))
);
--> statement-breakpoint
-- Pending events may only be added and, by the sequencer, moved out: never edited in place.
CREATE TRIGGER audit_inbox_no_update
  BEFORE UPDATE ON audit_inbox
  FOR EACH ROW EXECUTE FUNCTION enclave_audit_events_reject_change();
