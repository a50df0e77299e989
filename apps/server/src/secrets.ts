import { randomUUID } from "node:crypto";
import type { Database } from "@enclave/db";
import {
  auditSettingsFromSecret,
  recordAudit,
  systemCtx,
  openTransitNoteSigner,
  type AuditSettings,
  type ConsoleSecretSettings,
  AwsSecretsManager,
  createGuardedFetch,
  LocalKek,
  SecretResolver,
  VaultClient,
  VaultTransitKek,
  type KekRing,
  type KeyEncryptionKey,
  type Log,
} from "@enclave/core";
import { ConfigError, resolveConfigSecrets, type Config } from "./config.ts";

/** The secret resolver this configuration asks for: Vault with VAULT_ADDR, AWS with AWS_REGION. */
export function openSecretResolver(
  config: Config,
  log?: Log,
  onAlert?: (alert: { reference: string; error: string }) => void,
): SecretResolver {
  const vault = openVaultClient(config);
  const aws = config.aws.region
    ? new AwsSecretsManager({ region: config.aws.region, endpoint: config.aws.secretsEndpoint })
    : undefined;
  return new SecretResolver({
    vault,
    aws,
    ttlMs: config.secretCache.ttlSeconds * 1000,
    graceMs: config.secretCache.graceSeconds * 1000,
    onAlert: (alert) => {
      log?.error(
        { reference: alert.reference.split("#")[0], error: alert.error },
        "secret store unreachable: serving the last good value",
      );
      onAlert?.(alert);
    },
  });
}

/**
 * Where console-typed secret references may point and how they are fetched; undefined when the
 * deployment allows none (the console then accepts literal secrets only).
 */
export function consoleSecretSettings(
  config: Config,
  db: Database,
  log: Log,
): ConsoleSecretSettings | undefined {
  if (config.secretReferencePrefixes.length === 0) return undefined;
  return {
    resolver: openSecretResolver(config, log, auditSecretOutage(db, log)),
    consolePrefixes: config.secretReferencePrefixes,
  };
}

/**
 * An outage of the secret store is an audit event (once per outage of a reference), so the SIEM
 * sees it: the path without its key, and the store's error, which never carries a token.
 */
function auditSecretOutage(db: Database, log: Log) {
  return ({ reference, error }: { reference: string; error: string }) => {
    const ctx = systemCtx({ db, log, services: {} }, "secret-resolver", randomUUID());
    recordAudit(ctx, {
      action: "secret.store.unreachable",
      outcome: "failure",
      workspaceId: null,
      details: { reference: reference.split(/[#?]/, 1)[0]!, error: error.slice(0, 300) },
    }).catch((err: unknown) => log.error({ err }, "could not record a secret store outage"));
  };
}

/** Loads configuration references from the secret store; the one async step of configuration. */
export async function withResolvedSecrets(
  config: Config,
  log?: Log,
): Promise<{ config: Config; resolver: SecretResolver }> {
  const resolver = openSecretResolver(config, log);
  const resolved =
    Object.keys(config.references).length > 0 ? await resolveConfigSecrets(config, resolver) : config;
  return { config: resolved, resolver };
}

/** A Vault client for this configuration, or undefined without VAULT_ADDR. Logs in lazily. */
export function openVaultClient(config: Config): VaultClient | undefined {
  if (!config.vault.address) return undefined;
  const { token, roleIdFile, secretIdFile } = config.vault;
  if (!token && !(roleIdFile && secretIdFile)) {
    throw new ConfigError([
      "VAULT_ADDR is set: also set VAULT_TOKEN(_FILE) or VAULT_ROLE_ID_FILE + VAULT_SECRET_ID_FILE",
    ]);
  }
  // Vault usually lives on the internal network: its own host is allowlisted for this client only.
  const host = new URL(config.vault.address).hostname;
  return new VaultClient({
    address: config.vault.address,
    namespace: config.vault.namespace,
    auth: token ? { token } : { appRole: { roleIdFile: roleIdFile!, secretIdFile: secretIdFile! } },
    fetch: createGuardedFetch({ allowlist: [host, ...config.outboundAllowlist] }),
  });
}

/**
 * The KEK ring this configuration asks for. Local: ENCLAVE_KEK, with ENCLAVE_KEK_PREVIOUS still
 * unwrapping. Vault Transit: the Transit key wraps new data keys; local keys still configured only
 * unwrap, until `enclave keys rotate` has moved every data key into Vault.
 */
export function openKekRing(
  config: Config,
  vault: VaultClient | undefined = openVaultClient(config),
): KekRing {
  const locals: KeyEncryptionKey[] = [config.secrets.kek, config.secrets.previousKek]
    .filter((k): k is Buffer => k !== undefined)
    .map((k) => new LocalKek(k));
  if (config.secrets.kekProvider === "local") {
    const [current, ...previous] = locals;
    if (!current || !config.secrets.kek) throw new ConfigError(["ENCLAVE_KEK is not set"]);
    return { current, previous };
  }
  if (!vault) throw new ConfigError(["ENCLAVE_KEK_PROVIDER=vault-transit needs VAULT_ADDR"]);
  return {
    current: new VaultTransitKek(vault, config.vault.transitMount, config.vault.transitKey),
    previous: locals,
  };
}

/** Checkpoint signing for this configuration: a key derived from SECRET_KEY, or Vault Transit. */
export async function openAuditSettings(
  config: Config,
  vault: VaultClient | undefined = openVaultClient(config),
): Promise<AuditSettings> {
  if (config.audit.signer === "local")
    return auditSettingsFromSecret(config.secrets.secretKey, config.audit.origin);
  if (!vault) throw new ConfigError(["AUDIT_SIGNER=vault-transit needs VAULT_ADDR"]);
  const signer = await openTransitNoteSigner(
    vault,
    config.vault.transitMount,
    config.vault.transitSignKey,
    config.audit.origin,
  );
  return { origin: config.audit.origin, signer };
}
