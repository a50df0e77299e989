import {
  type CreateModelProviderInput,
  ModelEntry,
  type ModelProviderKind,
  type ModelProviderView,
} from "@enclave/contracts";
import type { modelProviders } from "@enclave/db";
import { consoleSecretMask, type ConsoleSecretSettings } from "../secrets/console-references.ts";

export type ProviderRow = typeof modelProviders.$inferSelect;

/** The fields of a provider that are secret: stored only encrypted, read back only as masks. */
export const SECRET_FIELDS = ["apiKey", "accessKeyId", "secretAccessKey", "sessionToken"] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];
export type Credentials = Partial<Record<SecretField, string>>;

/** Non-secret settings kept in clear in `settings` (the models list lives there too). */
const SETTING_FIELDS = ["baseUrl", "organization", "apiVersion", "region"] as const;

/** A provider's full configuration, decrypted: what the factory builds an SDK provider from. */
export interface ProviderConfig {
  id: string;
  kind: ModelProviderKind;
  name: string;
  settings: { baseUrl?: string; organization?: string; apiVersion?: string; region?: string };
  models: ModelEntry[];
  credentials: Credentials;
  updatedAt: Date;
}

export function credentialsField(providerId: string): string {
  return `model_provider:${providerId}:credentials`;
}

/**
 * Splits a validated create input into clear settings, secrets and masks. A secret given as a
 * secret-store reference is checked against the paths the workspace may use (400 otherwise) and
 * shown whole: it is an address, not a secret.
 */
export function splitInput(
  input: CreateModelProviderInput,
  workspaceId: string,
  references: ConsoleSecretSettings | undefined,
): {
  settings: Record<string, unknown>;
  credentials: Credentials;
  masks: Record<string, string>;
} {
  const record = input as Record<string, unknown>;
  const settings: Record<string, unknown> = { models: input.models };
  for (const f of SETTING_FIELDS) if (typeof record[f] === "string") settings[f] = record[f];
  const credentials: Credentials = {};
  const masks: Record<string, string> = {};
  for (const f of SECRET_FIELDS) {
    const v = record[f];
    if (typeof v === "string" && v.length > 0) {
      credentials[f] = v;
      masks[f] = consoleSecretMask(v, f, workspaceId, references);
    }
  }
  return { settings, credentials, masks };
}

/** Models from a row's settings, tolerating entries written by older versions. */
export function modelsOf(settings: Record<string, unknown>): ModelEntry[] {
  const listed = Array.isArray(settings.models) ? settings.models : [];
  return listed.flatMap((m) => {
    const parsed = ModelEntry.safeParse(m);
    return parsed.success ? [parsed.data] : [];
  });
}

function clearSettings(settings: Record<string, unknown>): ProviderConfig["settings"] {
  const out: Record<string, string> = {};
  for (const f of SETTING_FIELDS) if (typeof settings[f] === "string") out[f] = settings[f];
  return out;
}

/** The read shape: settings in clear, secrets as masks only. */
export function toView(row: ProviderRow): ModelProviderView {
  const { baseUrl, ...rest } = clearSettings(row.settings);
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    baseUrl: baseUrl ?? null,
    settings: rest,
    credentials: { ...row.credentialsMask },
    models: modelsOf(row.settings),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toConfig(row: ProviderRow, credentials: Credentials): ProviderConfig {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    settings: clearSettings(row.settings),
    models: modelsOf(row.settings),
    credentials,
    updatedAt: row.updatedAt,
  };
}

/** Rebuilds the create-shaped input of a stored provider, to validate a PATCH merged onto it. */
export function asCreateInput(row: ProviderRow, credentials: Credentials): Record<string, unknown> {
  return {
    kind: row.kind,
    name: row.name,
    ...clearSettings(row.settings),
    ...credentials,
    models: modelsOf(row.settings),
  };
}

/** Parses decrypted credentials JSON, keeping only known secret fields. */
export function parseCredentials(json: string): Credentials {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const out: Credentials = {};
  for (const f of SECRET_FIELDS) if (typeof raw[f] === "string") out[f] = raw[f];
  return out;
}

/** Every secret value of a provider, for scrubbing text that might echo one. */
export function secretValues(credentials: Credentials): string[] {
  return Object.values(credentials).filter((v): v is string => typeof v === "string" && v.length >= 4);
}
