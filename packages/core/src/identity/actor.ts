import type { Actor, Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import type { IdentitySettings } from "./settings.ts";

export type UserActor = Extract<Actor, { type: "user" }>;

/** The signed-in user acting, or 401. */
export function requireUser(ctx: Ctx): UserActor {
  if (ctx.actor.type !== "user") throw new AppError("unauthorized", "authentication required");
  return ctx.actor;
}

export function identitySettingsOf(ctx: Ctx): IdentitySettings {
  const settings = ctx.services.identity;
  if (!settings) throw new Error("identity settings are not configured");
  return settings;
}

/** Canonical form of an email for lookups and comparisons. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
