import { and, eq } from "drizzle-orm";
import { modelProviders } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { outboundFetch } from "./outbound.ts";
import { resolveStoredSecret } from "../secrets/console-references.ts";
import {
  credentialsField,
  parseCredentials,
  toConfig,
  type Credentials,
  type ProviderConfig,
} from "./provider-config.ts";
import { buildSdkProvider, type SdkProvider } from "./provider-factory.ts";

// Internal to the models domain (not re-exported from core): entries hold secrets in clear.
// Both caches are per process and short-lived: edits made here invalidate at once, edits made
// by another replica are seen within CACHE_TTL_MS.
const CACHE_TTL_MS = 5_000;

export interface ProviderEntry {
  config: ProviderConfig;
  until: number;
  sdk: { fetch: typeof fetch; provider: SdkProvider } | null;
}
const providers = new Map<string, ProviderEntry>();

/** Drops this process's cached copy of a provider (after an update or delete commits). */
export function forgetProvider(providerId: string): void {
  for (const key of providers.keys()) if (key.endsWith(`:${providerId}`)) providers.delete(key);
}

/**
 * Loads and decrypts a provider of the ctx workspace (cached briefly); null when it isn't there.
 * Internal to the models domain: the result holds secrets in clear.
 */
export async function loadProviderConfig(ctx: Ctx, providerId: string): Promise<ProviderConfig | null> {
  const entry = await loadEntry(ctx, providerId);
  return entry?.config ?? null;
}

export async function loadEntry(ctx: Ctx, providerId: string): Promise<ProviderEntry | null> {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) return null;
  const key = `${workspaceId}:${providerId}`;
  const now = Date.now();
  const hit = providers.get(key);
  if (hit && hit.until > now) return hit;
  const [row] = await ctx.db
    .select()
    .from(modelProviders)
    .where(and(eq(modelProviders.id, providerId), eq(modelProviders.workspaceId, workspaceId)))
    .limit(1);
  if (!row) {
    providers.delete(key);
    return null;
  }
  const envelope = ctx.services.envelope;
  if (!envelope) throw new Error("the envelope service is not configured");
  let json: string;
  try {
    json = await envelope.decrypt(workspaceId, credentialsField(row.id), row.credentialsEnc, ctx.db);
  } catch (err) {
    ctx.log.error({ err, providerId: row.id }, "model provider credentials do not decrypt");
    throw new AppError(
      "provider_not_initialize",
      "the model provider's credentials cannot be read: re-enter them in the console",
    );
  }
  const entry: ProviderEntry = {
    config: toConfig(row, await resolveReferences(ctx, row.id, parseCredentials(json))),
    until: now + CACHE_TTL_MS,
    sdk: null,
  };
  if (providers.size > 5_000) {
    for (const [k, v] of providers) if (v.until <= now) providers.delete(k);
  }
  providers.set(key, entry);
  return entry;
}

/** Credentials given as secret-store references, fetched (cached by the resolver, so rotation applies). */
async function resolveReferences(
  ctx: Ctx,
  providerId: string,
  credentials: Credentials,
): Promise<Credentials> {
  const out: Credentials = {};
  for (const [field, value] of Object.entries(credentials) as [keyof Credentials, string][]) {
    try {
      out[field] = await resolveStoredSecret(value, ctx.services.secrets);
    } catch (err) {
      ctx.log.error({ err, providerId, field }, "a model provider's secret reference does not resolve");
      throw new AppError(
        "provider_not_initialize",
        `the model provider's ${field} reference cannot be read from the secret store`,
      );
    }
  }
  return out;
}

/** The SDK provider for `config`, built once per (cached config, fetch). */
export async function sdkFor(ctx: Ctx, entry: ProviderEntry): Promise<SdkProvider> {
  const fetch = await outboundFetch(ctx);
  if (entry.sdk?.fetch === fetch) return entry.sdk.provider;
  const provider = buildSdkProvider(entry.config, fetch);
  entry.sdk = { fetch, provider };
  return provider;
}

/** The SDK provider of a workspace provider, or null when it isn't there (models domain only). */
export async function providerSdk(ctx: Ctx, providerId: string): Promise<SdkProvider | null> {
  const entry = await loadEntry(ctx, providerId);
  return entry ? sdkFor(ctx, entry) : null;
}
