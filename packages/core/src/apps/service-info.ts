import { and, eq } from "drizzle-orm";
import { accounts, apps } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { loadServingApp, type ServingApp } from "./serving.ts";

/** What `GET /v1/info` describes: the served app and the name of the person who created it. */
export interface ServiceAppInfo {
  app: ServingApp;
  authorName: string;
}

/**
 * The caller's published app for the read-only service API endpoints (parameters, info, meta,
 * site). Only the app key's own app is ever loaded: the app id comes from the key, not the request.
 */
export async function getServiceApp(ctx: Ctx): Promise<ServingApp> {
  requirePermission(ctx, "app.invoke");
  return loadServingApp(ctx, "api");
}

/** The served app plus its author's display name ("" when the creator's account is gone). */
export async function getServiceAppInfo(ctx: Ctx): Promise<ServiceAppInfo> {
  const app = await getServiceApp(ctx);
  const [row] = await ctx.db
    .select({ name: accounts.name })
    .from(apps)
    .innerJoin(accounts, eq(accounts.id, apps.createdBy))
    .where(and(eq(apps.id, app.id), eq(apps.workspaceId, app.workspaceId)))
    .limit(1);
  return { app, authorName: row?.name ?? "" };
}
