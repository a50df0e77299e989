import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import { CreateApiKeyInput, type ApiKeyView, type CreatedApiKey } from "@enclave/contracts";
import { datasetApiKeys } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { randomToken, sha256Hex } from "../crypto/keys.ts";
import { actingAccount } from "./dataset-access.ts";

const TOKEN_PREFIX = "dataset-";
const TOKEN_BYTES = 32;
const SHOWN_PREFIX_LENGTH = 12;
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_KEYS = 20;

/** Who an `Authorization: Bearer dataset-…` header turned out to be. */
export interface DatasetKeyAuth {
  keyId: string;
  workspaceId: string;
}

/** Looks a knowledge API key up by its hash; null when unknown or revoked. */
export async function authenticateDatasetKey(ctx: Ctx, token: string): Promise<DatasetKeyAuth | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const [key] = await ctx.db
    .select()
    .from(datasetApiKeys)
    .where(and(eq(datasetApiKeys.tokenHash, sha256Hex(token)), isNull(datasetApiKeys.revokedAt)))
    .limit(1);
  if (!key) return null;
  const now = new Date();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await ctx.db
      .update(datasetApiKeys)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(datasetApiKeys.id, key.id),
          or(isNull(datasetApiKeys.lastUsedAt), lt(datasetApiKeys.lastUsedAt, stale)),
        ),
      );
  }
  return { keyId: key.id, workspaceId: key.workspaceId };
}

// A dataset key reaches every knowledge base of the workspace, only_me ones included: only the
// people who can already see all of them (owners and admins) may mint one.
function requireKeyAdmin(ctx: Ctx): void {
  requirePermission(ctx, "dataset.manage");
  const role = ctx.actor.type === "user" ? ctx.actor.role : null;
  if (ctx.actor.type !== "system" && role !== "owner" && role !== "admin") {
    throw new AppError("forbidden", "only the owner or an admin may manage knowledge API keys");
  }
}

/** Creates a knowledge service API key; the token is returned here once, stored as a SHA-256. */
export async function createDatasetApiKey(ctx: Ctx, raw: CreateApiKeyInput): Promise<CreatedApiKey> {
  requireKeyAdmin(ctx);
  const input = CreateApiKeyInput.parse(raw);
  return withTransaction(ctx, async (tx, txCtx) => {
    const live = await tx
      .select({ id: datasetApiKeys.id })
      .from(datasetApiKeys)
      .where(and(eq(datasetApiKeys.workspaceId, txCtx.workspace!.id), isNull(datasetApiKeys.revokedAt)))
      .for("update");
    if (live.length >= MAX_KEYS)
      throw new AppError("conflict", `at most ${MAX_KEYS} knowledge API keys: revoke one first`);
    const token = TOKEN_PREFIX + randomToken(TOKEN_BYTES);
    const prefix = token.slice(0, SHOWN_PREFIX_LENGTH);
    const [key] = await tx
      .insert(datasetApiKeys)
      .values({
        workspaceId: txCtx.workspace!.id,
        name: input.name,
        tokenHash: sha256Hex(token),
        tokenPrefix: prefix,
        createdBy: actingAccount(txCtx),
      })
      .returning();
    await emitAudit(tx, txCtx, {
      action: "dataset.api_key.create",
      target: { type: "dataset_api_key", id: key!.id },
      details: { prefix },
    });
    return { id: key!.id, name: key!.name, token, prefix, createdAt: key!.createdAt.toISOString() };
  });
}

export async function listDatasetApiKeys(ctx: Ctx): Promise<ApiKeyView[]> {
  requireKeyAdmin(ctx);
  const rows = await ctx.db
    .select()
    .from(datasetApiKeys)
    .where(and(eq(datasetApiKeys.workspaceId, ctx.workspace!.id), isNull(datasetApiKeys.revokedAt)))
    .orderBy(asc(datasetApiKeys.createdAt));
  return rows.map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.tokenPrefix,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  }));
}

/** Revokes a key at once: its next request gets 401. */
export async function revokeDatasetApiKey(ctx: Ctx, keyId: string): Promise<void> {
  requireKeyAdmin(ctx);
  await withTransaction(ctx, async (tx, txCtx) => {
    const [key] = await tx
      .update(datasetApiKeys)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(datasetApiKeys.id, keyId),
          eq(datasetApiKeys.workspaceId, txCtx.workspace!.id),
          isNull(datasetApiKeys.revokedAt),
        ),
      )
      .returning({ id: datasetApiKeys.id, prefix: datasetApiKeys.tokenPrefix });
    if (!key) throw new AppError("not_found", "API key not found");
    await emitAudit(tx, txCtx, {
      action: "dataset.api_key.revoke",
      target: { type: "dataset_api_key", id: key.id },
      details: { prefix: key.prefix },
    });
  });
}
