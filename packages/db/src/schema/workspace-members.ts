import { sql } from "drizzle-orm";
import { check, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";
import { accounts } from "./accounts.ts";
import { workspaces } from "./workspaces.ts";

/** An account's role in one workspace. Exactly one owner per workspace (partial unique index). */
export const workspaceMembers = pgTable(
  "workspace_members",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["owner", "admin", "editor", "member", "dataset_operator"] }).notNull(),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("workspace_members_ws_account_uq").on(t.workspaceId, t.accountId),
    uniqueIndex("workspace_members_one_owner_uq")
      .on(t.workspaceId)
      .where(sql`${t.role} = 'owner'`),
    index("workspace_members_account_idx").on(t.accountId),
    check(
      "workspace_members_role_ck",
      sql`${t.role} in ('owner', 'admin', 'editor', 'member', 'dataset_operator')`,
    ),
    check("workspace_members_status_ck", sql`${t.status} in ('active', 'disabled')`),
  ],
);
