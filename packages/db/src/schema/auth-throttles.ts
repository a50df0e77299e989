import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { at, updatedAt } from "./columns.ts";

/**
 * Failed-login counters, kept in the database so locks hold across restarts and replicas.
 * `key` is `acct:<email hash>:<ip>` (per account and source) or `ip:<ip>` (spraying).
 */
export const authThrottles = pgTable("auth_throttles", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  windowStartedAt: at("window_started_at").notNull().defaultNow(),
  lockedUntil: at("locked_until"),
  /** How many times this key has been locked: each lock lasts longer (progressive). */
  lockCount: integer("lock_count").notNull().default(0),
  updatedAt: updatedAt(),
});
