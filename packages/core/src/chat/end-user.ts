import { and, eq, sql } from "drizzle-orm";
import { endUsers } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";

export type EndUserSource = "api" | "web" | "openai" | "console";

// End users never change once created, so their ids are cached per process (bounded).
const MAX_CACHED = 50_000;
const cache = new Map<string, string>();

/**
 * The id of the end user an app knows as `externalId` (Dify's `user`), created on first sight.
 * One statement: concurrent first requests of the same user agree on one row.
 */
export async function ensureEndUser(
  ctx: Ctx,
  app: { id: string; workspaceId: string },
  externalId: string,
  source: EndUserSource,
): Promise<string> {
  const key = `${app.id}:${externalId}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [row] = await ctx.db
    .insert(endUsers)
    .values({ workspaceId: app.workspaceId, appId: app.id, externalId, source })
    .onConflictDoUpdate({
      target: [endUsers.appId, endUsers.externalId],
      // A no-op update, so RETURNING yields the existing row too.
      set: { externalId: sql`excluded.external_id` },
    })
    .returning({ id: endUsers.id });
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, row!.id);
  return row!.id;
}

/** The id of an existing end user, or null (read paths never create one). */
export async function findEndUser(ctx: Ctx, appId: string, externalId: string): Promise<string | null> {
  const hit = cache.get(`${appId}:${externalId}`);
  if (hit) return hit;
  const [row] = await ctx.db
    .select({ id: endUsers.id })
    .from(endUsers)
    .where(and(eq(endUsers.appId, appId), eq(endUsers.externalId, externalId)))
    .limit(1);
  const id = row?.id ?? null;
  if (id) cache.set(`${appId}:${externalId}`, id);
  return id;
}
