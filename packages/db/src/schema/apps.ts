import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id, updatedAt } from "./columns.ts";
import { accounts } from "./accounts.ts";
import { workspaces } from "./workspaces.ts";

export const APP_MODES = ["chat", "completion", "agent-chat"] as const;
/** Who may read an app's conversation logs besides owners: see core/apps/log-access.ts. */
export const LOG_VISIBILITIES = ["creator_and_admins", "editors", "owner_only"] as const;

/**
 * An app: its draft configuration is edited freely; publishing freezes a copy into app_versions,
 * and the service API and web app only ever serve the published version.
 */
export const apps = pgTable(
  "apps",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    mode: text("mode", { enum: APP_MODES }).notNull(),
    icon: text("icon").notNull().default("🤖"),
    draftConfig: jsonb("draft_config").$type<Record<string, unknown>>().notNull(),
    publishedVersionId: uuid("published_version_id"),
    enableApi: boolean("enable_api").notNull().default(true),
    enableSite: boolean("enable_site").notNull().default(true),
    /** The published web app's address: `/app/<siteCode>` (public, not a secret; 80 random bits). */
    siteCode: text("site_code")
      .notNull()
      .default(sql`substr(replace(gen_random_uuid()::text, '-', ''), 1, 20)`),
    /** The web app is only for signed-in members of the app's workspace. */
    siteRequireLogin: boolean("site_require_login").notNull().default(false),
    /** https origins allowed to frame the web app (CSP frame-ancestors); empty: nobody. */
    siteEmbedOrigins: text("site_embed_origins")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    logVisibility: text("log_visibility", { enum: LOG_VISIBILITIES }).notNull().default("creator_and_admins"),
    /** false: usage metadata is kept, message text, inputs and tool traces are not. */
    retainContent: boolean("retain_content").notNull().default(true),
    /** Conversations older than this are purged; null keeps them. */
    retentionDays: integer("retention_days"),
    apiRpm: integer("api_rpm"),
    apiRph: integer("api_rph"),
    maxConcurrentRequests: integer("max_concurrent_requests"),
    maxApiKeys: integer("max_api_keys").notNull().default(10),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("apps_ws_idx").on(t.workspaceId, t.createdAt),
    uniqueIndex("apps_site_code_uq").on(t.siteCode),
  ],
);

/** A frozen, published configuration of an app. Never updated. */
export const appVersions = pgTable(
  "app_versions",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    config: jsonb("config").$type<Record<string, unknown>>().notNull(),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("app_versions_app_version_uq").on(t.appId, t.version)],
);

/** Service API keys of an app: `app-…` shown once; only its SHA-256 is stored. */
export const appApiKeys = pgTable(
  "app_api_keys",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** The first characters (`app-AbCd`), so people can tell keys apart. */
    tokenPrefix: text("token_prefix").notNull(),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    lastUsedAt: at("last_used_at"),
    revokedAt: at("revoked_at"),
  },
  (t) => [uniqueIndex("app_api_keys_hash_uq").on(t.tokenHash), index("app_api_keys_app_idx").on(t.appId)],
);
