import { readFile } from "node:fs/promises";
import { AppError } from "../errors/app-error.ts";
import type { VaultClient } from "./vault-client.ts";
import type { AwsSecretsManager } from "./aws-secrets-manager.ts";

/**
 * Secret references can stand wherever a credential is configured:
 *   `vault:<mount>/data/<path>#<key>[?version=N]`  KV v2 in HashiCorp Vault
 *   `aws-sm:<secret id or ARN>[#<json key>]`         AWS Secrets Manager
 *   `file:/run/secrets/name`                        a mounted file (Docker / K8s secrets)
 *   anything else                                   the literal value
 */
export function isSecretReference(value: string): boolean {
  return /^(vault|aws-sm|file):/.test(value);
}

export interface SecretResolverOptions {
  vault?: VaultClient | undefined;
  aws?: AwsSecretsManager | undefined;
  /** How long a fetched value is used before it is fetched again. */
  ttlMs?: number;
  /** How long the last good value keeps being served while its provider is down. */
  graceMs?: number;
  /** Called once per outage of a reference (the caller writes an alert audit event). */
  onAlert?: (alert: { reference: string; error: string }) => void;
  now?: () => number;
}

interface CacheEntry {
  value: string;
  fetchedAt: number;
  lastSuccess: number;
  alerted: boolean;
}

/**
 * Resolves references with a cache: values are re-fetched after `ttlMs` (so a rotated secret is
 * picked up without a restart) and, while a provider is unreachable, the last good value is
 * served for up to `graceMs` with an alert — then requests fail rather than run on a stale secret
 * forever.
 */
export class SecretResolver {
  private readonly opts: SecretResolverOptions;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(opts: SecretResolverOptions = {}) {
    this.opts = opts;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async resolve(value: string): Promise<string> {
    if (!isSecretReference(value)) return value;
    const now = this.now();
    const cached = this.cache.get(value);
    if (cached && now - cached.fetchedAt < (this.opts.ttlMs ?? 5 * 60_000)) return cached.value;
    try {
      const fresh = await this.fetch(value);
      this.cache.set(value, { value: fresh, fetchedAt: now, lastSuccess: now, alerted: false });
      return fresh;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (cached && now - cached.lastSuccess < (this.opts.graceMs ?? 60 * 60_000)) {
        if (!cached.alerted) {
          cached.alerted = true;
          this.opts.onAlert?.({ reference: value, error: message });
        }
        return cached.value;
      }
      throw err instanceof AppError
        ? err
        : new AppError("internal_error", `cannot resolve secret ${redactReference(value)}: ${message}`);
    }
  }

  private async fetch(reference: string): Promise<string> {
    if (reference.startsWith("file:")) {
      return (await readFile(reference.slice(5), "utf8")).replace(/\r?\n$/, "");
    }
    if (reference.startsWith("aws-sm:")) {
      if (!this.opts.aws)
        throw new AppError("validation_failed", "an aws-sm: reference is configured but AWS_REGION is not");
      const [id, key] = reference.slice(7).split("#", 2) as [string, string | undefined];
      return this.opts.aws.read(id, key);
    }
    const m = /^vault:([^/]+)\/data\/([^#?]+)#([^?]+)(?:\?version=(\d+))?$/.exec(reference);
    if (!m)
      throw new AppError(
        "validation_failed",
        `malformed Vault reference ${reference}: use vault:<mount>/data/<path>#<key>`,
      );
    if (!this.opts.vault)
      throw new AppError("validation_failed", "a Vault reference is configured but VAULT_ADDR is not");
    const [, mount, path, key, version] = m;
    const { data } = await this.opts.vault.readKv(mount!, path!, version ? Number(version) : undefined);
    const value = data[key!];
    if (typeof value !== "string")
      throw new AppError("not_found", `Vault secret ${mount}/data/${path} has no string key ${key}`);
    return value;
  }
}

/** A reference is not itself secret, but keep messages short and free of query strings. */
function redactReference(reference: string): string {
  return reference.replace(/\?.*$/, "");
}
