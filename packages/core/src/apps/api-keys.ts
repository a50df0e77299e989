import { and, asc, count, eq, isNull, lt, or } from "drizzle-orm";
import { CreateApiKeyInput, type ApiKeyView, type CreatedApiKey } from "@enclave/contracts";
import { appApiKeys, apps } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { onAfterCommit, withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { randomToken, sha256Hex } from "../crypto/keys.ts";
import { actingAccountId, loadAppRow } from "./app-rows.ts";

/** Who an `Authorization: Bearer app-…` header turned out to be. */
export interface AppKeyAuth {
  keyId: string;
  appId: string;
  workspaceId: string;
}

const TOKEN_PREFIX = "app-";
/** 32 random bytes: 43 URL-safe characters, 256 bits. */
const TOKEN_BYTES = 32;
const SHOWN_PREFIX_LENGTH = 8;
const LAST_USED_RESOLUTION_MS = 60_000;

// Every service API request authenticates: a live key is remembered briefly per process (by hash).
// Revoking drops it here at once; other replicas stop accepting it within KEY_CACHE_TTL_MS, the
// same bound as the serving-app cache. Unknown tokens are never cached (no memory for guessers).
const KEY_CACHE_TTL_MS = 2_000;
const MAX_CACHED_KEYS = 10_000;
const keyCache = new Map<string, { auth: AppKeyAuth; until: number }>();

function forgetKey(keyId: string): void {
  for (const [hash, entry] of keyCache) if (entry.auth.keyId === keyId) keyCache.delete(hash);
}

/** Drops every cached key of an app (after the app is deleted: its keys went with it). */
export function forgetAppKeys(appId: string): void {
  for (const [hash, entry] of keyCache) if (entry.auth.appId === appId) keyCache.delete(hash);
}

/** Empties the key cache (tests that change keys behind the verbs' back). */
export function clearAppKeyCache(): void {
  keyCache.clear();
}

/**
 * Looks a service API key up by its hash; null when unknown or revoked. Touches last_used_at (≤1/min).
 * Runs on every service API request: one indexed lookup (or none, briefly cached), no transaction.
 */
export async function authenticateAppKey(ctx: Ctx, token: string): Promise<AppKeyAuth | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const hash = sha256Hex(token);
  const cached = keyCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.auth;
  const [key] = await ctx.db
    .select({
      keyId: appApiKeys.id,
      appId: appApiKeys.appId,
      workspaceId: apps.workspaceId,
      lastUsedAt: appApiKeys.lastUsedAt,
    })
    .from(appApiKeys)
    .innerJoin(apps, eq(apps.id, appApiKeys.appId))
    .where(and(eq(appApiKeys.tokenHash, hash), isNull(appApiKeys.revokedAt)))
    .limit(1);
  if (!key) {
    keyCache.delete(hash);
    return null;
  }
  const now = new Date();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests of the same minute write it once between them.
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await ctx.db
      .update(appApiKeys)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(appApiKeys.id, key.keyId),
          or(isNull(appApiKeys.lastUsedAt), lt(appApiKeys.lastUsedAt, stale)),
        ),
      );
  }
  const auth = { keyId: key.keyId, appId: key.appId, workspaceId: key.workspaceId };
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
  keyCache.set(hash, { auth, until: Date.now() + KEY_CACHE_TTL_MS });
  return auth;
}

/** Creates a service API key; its token is returned here once and stored only as a SHA-256. */
export async function createApiKey(ctx: Ctx, appId: string, raw: CreateApiKeyInput): Promise<CreatedApiKey> {
  requirePermission(ctx, "app.update");
  const input = CreateApiKeyInput.parse(raw);
  return withTransaction(ctx, async (tx, txCtx) => {
    // Locked, so two concurrent creates cannot both slip under the limit.
    const app = await loadAppRow(tx, txCtx, appId, { forUpdate: true });
    const [active] = await tx
      .select({ n: count() })
      .from(appApiKeys)
      .where(and(eq(appApiKeys.appId, app.id), isNull(appApiKeys.revokedAt)));
    if ((active?.n ?? 0) >= app.maxApiKeys) {
      throw new AppError("conflict", `this app already has ${app.maxApiKeys} keys: revoke one first`);
    }
    const token = TOKEN_PREFIX + randomToken(TOKEN_BYTES);
    const prefix = token.slice(0, SHOWN_PREFIX_LENGTH);
    const [key] = await tx
      .insert(appApiKeys)
      .values({
        workspaceId: app.workspaceId,
        appId: app.id,
        name: input.name,
        tokenHash: sha256Hex(token),
        tokenPrefix: prefix,
        createdBy: actingAccountId(txCtx),
      })
      .returning();
    await emitAudit(tx, txCtx, {
      action: "app.api_key.create",
      target: { type: "app_api_key", id: key!.id },
      details: { appId: app.id, prefix },
    });
    return { id: key!.id, name: key!.name, token, prefix, createdAt: key!.createdAt.toISOString() };
  });
}

/** The app's live keys (revoked ones stay in the table for the audit trail, not in this list). */
export async function listApiKeys(ctx: Ctx, appId: string): Promise<ApiKeyView[]> {
  requirePermission(ctx, "app.update");
  const app = await loadAppRow(ctx.db, ctx, appId);
  const rows = await ctx.db
    .select()
    .from(appApiKeys)
    .where(and(eq(appApiKeys.appId, app.id), isNull(appApiKeys.revokedAt)))
    .orderBy(asc(appApiKeys.createdAt));
  return rows.map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.tokenPrefix,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  }));
}

/** Revokes a key at once: the next request with it gets 401. */
export async function revokeApiKey(ctx: Ctx, appId: string, keyId: string): Promise<void> {
  requirePermission(ctx, "app.update");
  await withTransaction(ctx, async (tx, txCtx) => {
    const app = await loadAppRow(tx, txCtx, appId);
    const [key] = await tx
      .update(appApiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(appApiKeys.id, keyId), eq(appApiKeys.appId, app.id), isNull(appApiKeys.revokedAt)))
      .returning({ id: appApiKeys.id, prefix: appApiKeys.tokenPrefix });
    if (!key) throw new AppError("not_found", "API key not found");
    // Now (no new request may cache it meanwhile from this process) and again after COMMIT.
    forgetKey(key.id);
    onAfterCommit(tx, async () => forgetKey(key.id));
    await emitAudit(tx, txCtx, {
      action: "app.api_key.revoke",
      target: { type: "app_api_key", id: key.id },
      details: { appId: app.id, prefix: key.prefix },
    });
  });
}
