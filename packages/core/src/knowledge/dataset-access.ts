import { and, eq, exists, or, sql, type SQL } from "drizzle-orm";
import { datasetPermissions, datasets, type Database, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";

export type DatasetRow = typeof datasets.$inferSelect;
type Db = Database | Transaction;

/**
 * Which datasets of the ctx workspace the actor may see (Dify semantics): owners/admins, the
 * system and dataset keys all; others `all_team_members`, their own, and `partial_members` ones
 * that list them. Null means "no restriction within the workspace".
 */
export function visibilityFilter(ctx: Ctx): SQL | null {
  const { actor } = ctx;
  if (actor.type === "system" || actor.type === "datasetKey") return null;
  if (actor.type === "user" && (actor.role === "owner" || actor.role === "admin")) return null;
  if (actor.type !== "user") return sql`false`;
  const me = actor.accountId;
  return or(
    eq(datasets.permission, "all_team_members"),
    eq(datasets.createdBy, me),
    and(
      eq(datasets.permission, "partial_members"),
      exists(
        sql`(select 1 from ${datasetPermissions} where ${datasetPermissions.datasetId} = ${datasets.id} and ${datasetPermissions.accountId} = ${me})`,
      ),
    ),
  )!;
}

export function workspaceDatasets(ctx: Ctx): SQL {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) return sql`false`;
  const visible = visibilityFilter(ctx);
  return visible
    ? and(eq(datasets.workspaceId, workspaceId), visible)!
    : eq(datasets.workspaceId, workspaceId);
}

/**
 * One dataset the actor may see, or 404 — for another workspace's id and for a dataset hidden
 * from this user alike (no existence oracle). `manage` also needs dataset.manage.
 */
export async function loadDataset(
  db: Db,
  ctx: Ctx,
  datasetId: string,
  opts: { manage?: boolean; forUpdate?: boolean } = {},
): Promise<DatasetRow> {
  requirePermission(ctx, "dataset.read");
  const query = db
    .select()
    .from(datasets)
    .where(and(eq(datasets.id, datasetId), workspaceDatasets(ctx)))
    .limit(1);
  const [row] = opts.forUpdate ? await query.for("update", { of: datasets }) : await query;
  if (!row) throw new AppError("not_found", "dataset not found");
  if (opts.manage) requirePermission(ctx, "dataset.manage");
  return row;
}

/** The account acting, when it is a person. */
export function actingAccount(ctx: Ctx): string | null {
  return ctx.actor.type === "user" ? ctx.actor.accountId : null;
}
