import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";
import { accounts } from "./accounts.ts";
import { workspaces } from "./workspaces.ts";

/**
 * Hosts, IPs or CIDRs an admin lets outbound calls reach although they are not public addresses
 * (a model server on the private network). Everything else private stays refused.
 */
export const outboundAllowlist = pgTable(
  "outbound_allowlist",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    entry: text("entry").notNull(),
    note: text("note").notNull().default(""),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("outbound_allowlist_ws_entry_uq").on(t.workspaceId, t.entry),
    index("outbound_allowlist_ws_idx").on(t.workspaceId),
  ],
);
