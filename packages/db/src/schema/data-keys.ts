import { sql } from "drizzle-orm";
import { check, index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";
import { workspaces } from "./workspaces.ts";

/**
 * Per-workspace data keys for envelope encryption. The key itself is stored only wrapped by a
 * key-encryption key (KEK) from the secret provider; `kekId` says which KEK version wrapped it.
 */
export const workspaceDataKeys = pgTable(
  "workspace_data_keys",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    wrappedKey: text("wrapped_key").notNull(),
    kekId: text("kek_id").notNull(),
    status: text("status", { enum: ["active", "retired"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
  },
  (t) => [
    index("workspace_data_keys_ws_idx").on(t.workspaceId),
    check("workspace_data_keys_status_ck", sql`${t.status} in ('active', 'retired')`),
  ],
);
