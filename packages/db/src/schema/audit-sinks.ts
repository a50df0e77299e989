import { boolean, index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";
import { accounts } from "./accounts.ts";
import { workspaces } from "./workspaces.ts";

/**
 * A SIEM destination an admin configured for their workspace in the console: it receives that
 * workspace's audit events only. The Authorization header value is envelope-encrypted; reads see
 * a mask. Deployment-wide sinks (every event, with checkpoints) come from configuration instead.
 */
export const auditSinks = pgTable(
  "audit_sinks",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    url: text("url").notNull(),
    format: text("format", { enum: ["generic", "elasticsearch"] })
      .notNull()
      .default("generic"),
    index: text("index"),
    authorizationEnc: text("authorization_enc"),
    authorizationMask: text("authorization_mask"),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("audit_sinks_ws_idx").on(t.workspaceId)],
);
