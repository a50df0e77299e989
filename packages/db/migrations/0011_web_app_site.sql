ALTER TABLE "apps" ADD COLUMN "site_code" text DEFAULT substr(replace(gen_random_uuid()::text, '-', ''), 1, 20) NOT NULL;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "site_require_login" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "apps_site_code_uq" ON "apps" USING btree ("site_code");