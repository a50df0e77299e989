import { and, eq } from "drizzle-orm";
import { CreateAllowlistEntryInput } from "@enclave/contracts";
import { outboundAllowlist, type Database } from "@enclave/db";
import { actorId, type Ctx } from "../context/ctx.ts";
import { onAfterCommit, withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { normaliseAllowlistEntry } from "./allowlist-entry.ts";

export interface AllowlistEntryView {
  id: string;
  entry: string;
  note: string;
  createdBy: string | null;
  createdAt: string;
}

const MAX_ENTRIES = 200;
/** How long a process trusts its copy of a workspace's allowlist (other processes' edits). */
const CACHE_TTL_MS = 5_000;

const cache = new Map<string, { entries: string[]; until: number; version: number }>();
let version = 0;

/**
 * The workspace's allowlist entries, cached for a few seconds: read on every model call. Each
 * change bumps the version, so fetches built from an older list are rebuilt.
 */
export async function workspaceAllowlist(
  db: Database,
  workspaceId: string,
): Promise<{ entries: string[]; version: number }> {
  const hit = cache.get(workspaceId);
  if (hit && hit.until > Date.now()) return hit;
  const rows = await db
    .select({ entry: outboundAllowlist.entry })
    .from(outboundAllowlist)
    .where(eq(outboundAllowlist.workspaceId, workspaceId));
  const entries = rows.map((r) => r.entry).sort();
  // Same list as before keeps the version, so cached fetches survive a plain TTL refresh.
  const same = hit && hit.entries.join("\n") === entries.join("\n");
  const fresh = { entries, until: Date.now() + CACHE_TTL_MS, version: same ? hit.version : ++version };
  cache.set(workspaceId, fresh);
  return fresh;
}

function invalidateAfterCommit(tx: object, workspaceId: string): void {
  const drop = async () => void cache.delete(workspaceId);
  if (!onAfterCommit(tx, drop)) cache.delete(workspaceId);
}

function view(row: typeof outboundAllowlist.$inferSelect): AllowlistEntryView {
  return {
    id: row.id,
    entry: row.entry,
    note: row.note,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The current workspace's outbound allowlist entries. */
export async function listAllowlistEntries(ctx: Ctx): Promise<AllowlistEntryView[]> {
  requirePermission(ctx, "model_provider.read");
  const rows = await ctx.db
    .select()
    .from(outboundAllowlist)
    .where(eq(outboundAllowlist.workspaceId, ctx.workspace!.id))
    .orderBy(outboundAllowlist.createdAt);
  return rows.map(view);
}

/** Lets this workspace's outbound calls reach a private host, IP or CIDR (admins only). */
export async function addAllowlistEntry(
  ctx: Ctx,
  raw: CreateAllowlistEntryInput,
): Promise<AllowlistEntryView> {
  requirePermission(ctx, "model_provider.manage");
  const input = CreateAllowlistEntryInput.parse(raw);
  const entry = normaliseAllowlistEntry(input.entry);
  const workspaceId = ctx.workspace!.id;
  return withTransaction(ctx, async (tx, txCtx) => {
    const existing = await tx
      .select({ id: outboundAllowlist.id, entry: outboundAllowlist.entry })
      .from(outboundAllowlist)
      .where(eq(outboundAllowlist.workspaceId, workspaceId));
    if (existing.some((e) => e.entry === entry))
      throw new AppError("conflict", "this entry is already listed");
    if (existing.length >= MAX_ENTRIES)
      throw new AppError("validation_failed", `at most ${MAX_ENTRIES} allowlist entries per workspace`);
    const [row] = await tx
      .insert(outboundAllowlist)
      .values({
        workspaceId,
        entry,
        note: input.note,
        createdBy: ctx.actor.type === "user" ? actorId(ctx.actor) : null,
      })
      .returning();
    await emitAudit(tx, txCtx, {
      action: "outbound_allowlist.add",
      target: { type: "outbound_allowlist", id: row!.id },
      details: { entry },
    });
    invalidateAfterCommit(tx, workspaceId);
    return view(row!);
  });
}

/** Removes an allowlist entry; calls to what it opened are refused again within seconds. */
export async function removeAllowlistEntry(ctx: Ctx, id: string): Promise<void> {
  requirePermission(ctx, "model_provider.manage");
  const workspaceId = ctx.workspace!.id;
  await withTransaction(ctx, async (tx, txCtx) => {
    const [row] = await tx
      .delete(outboundAllowlist)
      .where(and(eq(outboundAllowlist.id, id), eq(outboundAllowlist.workspaceId, workspaceId)))
      .returning();
    if (!row) throw new AppError("not_found", "allowlist entry not found");
    await emitAudit(tx, txCtx, {
      action: "outbound_allowlist.remove",
      target: { type: "outbound_allowlist", id: row.id },
      details: { entry: row.entry },
    });
    invalidateAfterCommit(tx, workspaceId);
  });
}
