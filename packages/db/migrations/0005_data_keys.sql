CREATE TABLE "workspace_data_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"wrapped_key" text NOT NULL,
	"kek_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_data_keys_status_ck" CHECK ("workspace_data_keys"."status" in ('active', 'retired'))
);
--> statement-breakpoint
ALTER TABLE "workspace_data_keys" ADD CONSTRAINT "workspace_data_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workspace_data_keys_ws_idx" ON "workspace_data_keys" USING btree ("workspace_id");--> statement-breakpoint
-- At most one active data key per workspace.
CREATE UNIQUE INDEX "workspace_data_keys_one_active_uq" ON "workspace_data_keys" ("workspace_id") WHERE "status" = 'active';
