import { and, eq } from "drizzle-orm";
import { endUsers } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";

export type EndUserSource = "api" | "web" | "openai";

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
  if (found) return found;
  const [inserted] = await ctx.db
    .insert(endUsers)
    .values({ workspaceId, appId, externalId, source })
    .onConflictDoNothing({ target: [endUsers.appId, endUsers.externalId] })
    .returning({ id: endUsers.id, appId: endUsers.appId, externalId: endUsers.externalId });
  if (inserted) return inserted;
  // Another request created it between our read and insert.
  const raced = await findEndUser(ctx, workspaceId, appId, externalId);
  if (!raced) throw new AppError("internal_error", "end user could not be created");
  return raced;
}

async function findEndUser(
  ctx: Ctx,
  workspaceId: string,
  appId: string,
  externalId: string,
): Promise<EndUser | null> {
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
