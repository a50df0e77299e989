import { and, eq } from "drizzle-orm";
import { endUsers } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";

export type EndUserSource = "api" | "web" | "openai" | "console";

/** An end user of one app: the caller's `user` string, as Dify scopes it (per app). */
export interface EndUser {
  id: string;
  appId: string;
  externalId: string;
}

/** Longest `user` string accepted; Dify leaves it free-form, we bound it. */
export const MAX_END_USER_ID_LENGTH = 255;

// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/u;

/** Throws `validation_failed` unless `externalId` is a usable `user` string. */
export function checkEndUserId(externalId: unknown): string {
  if (typeof externalId !== "string" || externalId.length === 0) {
    throw new AppError("validation_failed", "user is required");
  }
  if (externalId.length > MAX_END_USER_ID_LENGTH || CONTROL.test(externalId)) {
    throw new AppError(
      "validation_failed",
      `user must be at most ${MAX_END_USER_ID_LENGTH} printable characters`,
    );
  }
  return externalId;
}

/**
 * `user` strings Enclave mints itself: web app visitors (`visitor:<random>`), signed-in web app
 * users (`account:<id>`) and the console's debug pane (`console:<account id>`). A service API
 * caller may not name them — an app key would otherwise read, continue or stop a web visitor's or
 * an editor's conversations.
 */
export const INTERNAL_END_USER_PREFIXES = ["visitor:", "account:", "console:"] as const;

/** Throws `validation_failed` when a service API caller's `user` is one Enclave mints. */
export function refuseInternalEndUser(externalId: unknown): void {
  if (typeof externalId !== "string") return;
  const id = externalId.trim();
  const prefix = INTERNAL_END_USER_PREFIXES.find((p) => id.toLowerCase().startsWith(p));
  if (prefix) {
    throw new AppError(
      "validation_failed",
      `user may not start with "${prefix}": Enclave uses it for web app and console users`,
    );
  }
}

/**
 * The end user named `externalId` of the ctx workspace's app `appId`, created on first use.
 * `appId` must come from the authenticated caller (the served app), never from input. Safe
 * under concurrency: two first requests of the same user end up with the same row. Works inside
 * or outside a transaction (ctx.db may be one).
 */
export async function ensureEndUser(
  ctx: Ctx,
  appId: string,
  externalId: string,
  source: EndUserSource,
): Promise<EndUser> {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) throw new AppError("forbidden", "end users belong to an app's workspace");
  checkEndUserId(externalId);
  const found = await findEndUser(ctx, workspaceId, appId, externalId);
  if (found) return remember(workspaceId, found);
  const [inserted] = await ctx.db
    .insert(endUsers)
    .values({ workspaceId, appId, externalId, source })
    .onConflictDoNothing({ target: [endUsers.appId, endUsers.externalId] })
    .returning({ id: endUsers.id, appId: endUsers.appId, externalId: endUsers.externalId });
  if (inserted) return remember(workspaceId, inserted);
  // Another request created it between our read and insert.
  const raced = await findEndUser(ctx, workspaceId, appId, externalId);
  if (!raced) throw new AppError("internal_error", "end user could not be created");
  return remember(workspaceId, raced);
}

/** The existing end user `externalId` of the app, or null: read paths never create one. */
export async function existingEndUser(ctx: Ctx, appId: string, externalId: string): Promise<EndUser | null> {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) return null;
  const found = await findEndUser(ctx, workspaceId, appId, externalId);
  return found ? remember(workspaceId, found) : null;
}

// End users never change once created (they go only with their app), so every service API request
// need not look its caller up again: a bounded per-process cache.
const MAX_CACHED = 50_000;
const cache = new Map<string, EndUser>();
const cacheKey = (workspaceId: string, appId: string, externalId: string) =>
  `${workspaceId}\u0000${appId}\u0000${externalId}`;

function remember(workspaceId: string, user: EndUser): EndUser {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(cacheKey(workspaceId, user.appId, user.externalId), user);
  return user;
}

async function findEndUser(
  ctx: Ctx,
  workspaceId: string,
  appId: string,
  externalId: string,
): Promise<EndUser | null> {
  const hit = cache.get(cacheKey(workspaceId, appId, externalId));
  if (hit) return hit;
  const [row] = await ctx.db
    .select({ id: endUsers.id, appId: endUsers.appId, externalId: endUsers.externalId })
    .from(endUsers)
    .where(
      and(
        eq(endUsers.workspaceId, workspaceId),
        eq(endUsers.appId, appId),
        eq(endUsers.externalId, externalId),
      ),
    )
    .limit(1);
  return row ?? null;
}
