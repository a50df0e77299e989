import { index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";
import { accounts } from "./accounts.ts";
import { workspaces } from "./workspaces.ts";

export const MODEL_PROVIDER_KINDS = [
  "openai",
  "azure_openai",
  "anthropic",
  "openai_compatible",
  "bedrock",
] as const;

/**
 * A configured model provider of a workspace. Secret fields (API keys, AWS secret keys) live only
 * in `credentialsEnc`, envelope-encrypted as one JSON document; `credentialsMask` holds their masked
 * forms for reads. `settings` holds the non-secret rest (base URL, API version, region, models).
 */
export const modelProviders = pgTable(
  "model_providers",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: MODEL_PROVIDER_KINDS }).notNull(),
    name: text("name").notNull(),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    credentialsEnc: text("credentials_enc").notNull(),
    credentialsMask: jsonb("credentials_mask").$type<Record<string, string>>().notNull().default({}),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("model_providers_ws_name_uq").on(t.workspaceId, t.name),
    index("model_providers_ws_idx").on(t.workspaceId),
  ],
);
