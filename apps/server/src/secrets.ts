import { AwsSecretsManager, createGuardedFetch, SecretResolver, VaultClient, type Log } from "@enclave/core";
import { ConfigError, resolveConfigSecrets, type Config } from "./config.ts";

/** The secret resolver this configuration asks for: Vault with VAULT_ADDR, AWS with AWS_REGION. */
export function openSecretResolver(config: Config, log?: Log): SecretResolver {
  let vault: VaultClient | undefined;
  if (config.vault.address) {
    const { token, roleIdFile, secretIdFile } = config.vault;
    if (!token && !(roleIdFile && secretIdFile)) {
      throw new ConfigError([
        "VAULT_ADDR is set: also set VAULT_TOKEN(_FILE) or VAULT_ROLE_ID_FILE + VAULT_SECRET_ID_FILE",
      ]);
    }
    // Vault usually lives on the internal network: its own host is allowlisted for this client only.
    const host = new URL(config.vault.address).hostname;
    vault = new VaultClient({
      address: config.vault.address,
      namespace: config.vault.namespace,
      auth: token ? { token } : { appRole: { roleIdFile: roleIdFile!, secretIdFile: secretIdFile! } },
      fetch: createGuardedFetch({ allowlist: [host, ...config.outboundAllowlist] }),
    });
  }
  const aws = config.aws.region
    ? new AwsSecretsManager({ region: config.aws.region, endpoint: config.aws.secretsEndpoint })
    : undefined;
  return new SecretResolver({
    vault,
    aws,
    ttlMs: config.secretCache.ttlSeconds * 1000,
    graceMs: config.secretCache.graceSeconds * 1000,
    onAlert: ({ reference, error }) =>
      log?.error(
        { reference: reference.split("#")[0], error },
        "secret store unreachable: serving the last good value",
      ),
  });
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
