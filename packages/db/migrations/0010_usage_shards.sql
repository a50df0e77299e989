ALTER TABLE "app_usage_daily" ADD COLUMN "shard" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "app_usage_daily" DROP CONSTRAINT "app_usage_daily_app_id_day_pk";--> statement-breakpoint
ALTER TABLE "app_usage_daily" ADD CONSTRAINT "app_usage_daily_app_id_day_shard_pk" PRIMARY KEY("app_id","day","shard");
