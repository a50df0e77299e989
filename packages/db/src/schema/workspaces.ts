import { pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns.ts";

/** A tenant: every tenant-owned row points at one of these. */
export const workspaces = pgTable("workspaces", {
  id: id(),
  name: text("name").notNull(),
  /** Who must use MFA: nobody extra, owners and admins, or every member. */
  mfaPolicy: text("mfa_policy", { enum: ["off", "admins", "all"] })
    .notNull()
    .default("off"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
