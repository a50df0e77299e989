import { sql } from "drizzle-orm";
import { bigint, check, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at, createdAt, id, updatedAt } from "./columns.ts";

/** A person who can sign in to the console. Not tenant-owned: membership links it to workspaces. */
export const accounts = pgTable(
  "accounts",
  {
    id: id(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    passwordHash: text("password_hash"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    lastLoginAt: at("last_login_at"),
    passwordChangedAt: at("password_changed_at"),
    /** TOTP secret, AES-256-GCM under a key derived from SECRET_KEY; set once MFA is confirmed. */
    totpSecretEnc: text("totp_secret_enc"),
    /** Secret shown during enrolment, until the first code confirms it. */
    totpPendingSecretEnc: text("totp_pending_secret_enc"),
    totpEnabledAt: at("totp_enabled_at"),
    /** Last accepted TOTP time step: a code is accepted once (no replay inside its window). */
    totpLastStep: bigint("totp_last_step", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("accounts_email_lower_uq").on(sql`lower(${t.email})`),
    check("accounts_status_ck", sql`${t.status} in ('active', 'disabled')`),
  ],
);
