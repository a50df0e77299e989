import { integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id } from "./columns.ts";
import { accounts } from "./accounts.ts";

/** The second step of a login with MFA: issued after the password, consumed by one code. */
export const loginChallenges = pgTable("login_challenges", {
  id: id(),
  accountId: uuid("account_id")
    .notNull()
    .references(() => accounts.id, { onDelete: "cascade" }),
  ip: text("ip"),
  userAgent: text("user_agent"),
  failedAttempts: integer("failed_attempts").notNull().default(0),
  expiresAt: at("expires_at").notNull(),
  consumedAt: at("consumed_at"),
  createdAt: createdAt(),
});
