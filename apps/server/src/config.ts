// The only module that reads process.env. Everything else receives a parsed, typed Config.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { SECRET_VARIABLES, VARIABLES, type VariableName } from "./config/variables.ts";
import { secretKeyProblem } from "./config/secret-strength.ts";

/** Secret variables whose value is a secret-store reference, resolved after parsing. */
export const REFERENCE = /^(vault|aws-sm):/;

export interface Config {
  production: boolean;
  dataDir: string;
  server: {
    host: string;
    port: number;
    publicUrl: string | undefined;
    bodyLimitBytes: number;
    trustedProxies: string[];
    shutdownTimeoutMs: number;
  };
  log: { level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent" };
  database: { url: string | undefined; poolMax: number; caFile: string | undefined };
  redis: { url: string | undefined };
  secrets: {
    secretKey: string;
    secretKeySource: "env" | "file" | "generated";
    /** Older SECRET_KEY still accepted for verifying sessions during a rotation. */
    previousSecretKey: string | undefined;
    /** Where the KEK lives; with vault-transit, `kek` (if set) is a local key being migrated from. */
    kekProvider: "local" | "vault-transit";
    /** 32-byte local key-encryption key, and the one being rotated out. */
    kek: Buffer | undefined;
    previousKek: Buffer | undefined;
  };
  worker: { concurrency: number };
  /** Service API, chat runtime and uploads. */
  chat: {
    uploadMaxBytes: number;
    defaultRpm: number;
    defaultRph: number;
    maxConcurrentPerApp: number;
    modelTimeoutMs: number;
    retentionPurgeMinutes: number;
  };
  audit: {
    origin: string;
    checkpointSeconds: number;
    heartbeatSeconds: number;
    signer: "local" | "vault-transit";
    ship: {
      fileDir: string | undefined;
      fileMaxBytes: number;
      syslogUrl: string | undefined;
      syslogCaFile: string | undefined;
      httpUrl: string | undefined;
      httpFormat: "generic" | "elasticsearch";
      httpAuthorization: string | undefined;
    };
  };
  /** Private hosts/CIDRs outbound requests may reach (everything non-public is refused otherwise). */
  outboundAllowlist: string[];
  identity: {
    sessionIdleMinutes: number;
    sessionAbsoluteHours: number;
    lockoutMaxFailures: number;
    lockoutMinutes: number;
    loginIpMaxFailures: number;
  };
  vault: {
    address: string | undefined;
    namespace: string | undefined;
    token: string | undefined;
    roleIdFile: string | undefined;
    secretIdFile: string | undefined;
    transitMount: string;
    transitKey: string;
    transitSignKey: string;
  };
  aws: { region: string | undefined; secretsEndpoint: string | undefined };
  secretCache: { ttlSeconds: number; graceSeconds: number };
  /** Reference prefixes the console may use for tenant secrets (`{workspaceId}` substituted). */
  secretReferencePrefixes: string[];
  /** Secret variables given as references (`vault:…`), still to be resolved by resolveConfigSecrets. */
  references: Partial<Record<VariableName, string>>;
  /** Non-fatal findings worth a log line at start (weak key in development, …). */
  warnings: string[];
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type RawEnv = Record<string, string | undefined>;

const EnvSchema = z.object(
  Object.fromEntries(Object.entries(VARIABLES).map(([name, spec]) => [name, spec.schema])) as {
    [K in VariableName]: (typeof VARIABLES)[K]["schema"];
  },
);

/**
 * Reads `NAME_FILE` for secret variables, rejecting both being set, and drops empty strings so
 * `FOO=` means "unset" rather than "the empty secret".
 */
function resolveEnv(
  env: RawEnv,
  problems: string[],
): { values: RawEnv; fromFile: Set<string>; references: Partial<Record<VariableName, string>> } {
  const values: RawEnv = {};
  const fromFile = new Set<string>();
  const references: Partial<Record<VariableName, string>> = {};
  for (const name of Object.keys(VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value !== "") values[name] = value;
  }
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === "") continue;
    if (values[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set: set only one`);
      continue;
    }
    try {
      const content = readFileSync(file, "utf8").replace(/\r?\n$/, "");
      if (content !== "") values[name] = content;
      fromFile.add(name);
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  for (const name of SECRET_VARIABLES) {
    const value = values[name];
    if (value !== undefined && REFERENCE.test(value)) {
      references[name] = value;
      delete values[name];
    }
  }
  const toVault = Object.entries(references)
    .filter(([, r]) => r.startsWith("vault:"))
    .map(([n]) => n);
  if (toVault.length > 0 && !values.VAULT_ADDR)
    problems.push(`${toVault.join(", ")} refer to Vault but VAULT_ADDR is not set`);
  const toAws = Object.entries(references)
    .filter(([, r]) => r.startsWith("aws-sm:"))
    .map(([n]) => n);
  if (toAws.length > 0 && !values.AWS_REGION) {
    problems.push(`${toAws.join(", ")} refer to AWS Secrets Manager but AWS_REGION is not set`);
  }
  return { values, fromFile, references };
}

/** Reads `<dataDir>/secrets/<name>`, creating it with fresh random bytes (0600) on first use. */
export function ensureGeneratedSecret(
  dataDir: string,
  name: string,
  bytes = 48,
  encoding: "base64url" | "base64" = "base64url",
): string {
  const dir = join(dataDir, "secrets");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(bytes).toString(encoding)}\n`, { mode: 0o600, flag: "wx" });
  } else if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
  }
  return readFileSync(path, "utf8").trim();
}

/** Parses the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: RawEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const warnings: string[] = [];
  const { values, fromFile, references } = resolveEnv(env, problems);
  const parsed = EnvSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "environment");
      const secret = (SECRET_VARIABLES as string[]).includes(name);
      // Never echo a secret's value back, even in an error.
      problems.push(`${name}: ${secret ? "invalid value" : issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const v = parsed.data;
  const production = v.ENCLAVE_ENV === "production";
  const dataDir = isAbsolute(v.ENCLAVE_DATA_DIR) ? v.ENCLAVE_DATA_DIR : resolve(cwd, v.ENCLAVE_DATA_DIR);

  let secretKey = v.SECRET_KEY;
  let secretKeySource: Config["secrets"]["secretKeySource"] = fromFile.has("SECRET_KEY") ? "file" : "env";
  if (secretKey !== undefined) {
    const problem = secretKeyProblem(secretKey);
    if (problem && production) problems.push(`SECRET_KEY ${problem}`);
    else if (problem) warnings.push(`SECRET_KEY ${problem}; this would be refused in production`);
  } else if (references.SECRET_KEY) {
    secretKey = ""; // resolved and checked by resolveConfigSecrets
    secretKeySource = "env";
  } else if (production) {
    problems.push("SECRET_KEY is required in production (set SECRET_KEY or SECRET_KEY_FILE)");
  } else {
    secretKey = ensureGeneratedSecret(dataDir, "secret_key");
    secretKeySource = "generated";
  }
  let kek = v.ENCLAVE_KEK ?? (references.ENCLAVE_KEK ? "" : undefined);
  const transit = v.ENCLAVE_KEK_PROVIDER === "vault-transit";
  if (transit && !v.VAULT_ADDR) problems.push("ENCLAVE_KEK_PROVIDER=vault-transit needs VAULT_ADDR");
  if (v.AUDIT_SIGNER === "vault-transit" && !v.VAULT_ADDR)
    problems.push("AUDIT_SIGNER=vault-transit needs VAULT_ADDR");
  if (kek === undefined && production && !transit) {
    problems.push("ENCLAVE_KEK is required in production (set ENCLAVE_KEK or ENCLAVE_KEK_FILE)");
  } else if (kek === undefined && !transit) {
    kek = ensureGeneratedSecret(dataDir, "kek", 32, "base64");
  } else if (kek === undefined && existsSync(join(dataDir, "secrets", "kek"))) {
    // Moving an embedded install to Vault Transit: the generated key still unwraps until rotated.
    kek = readFileSync(join(dataDir, "secrets", "kek"), "utf8").trim();
  }
  if (problems.length > 0 || secretKey === undefined || (kek === undefined && !transit))
    throw new ConfigError(problems);

  return {
    production,
    dataDir,
    server: {
      host: v.HOST,
      port: v.PORT,
      publicUrl: v.PUBLIC_URL,
      bodyLimitBytes: v.BODY_LIMIT_BYTES,
      trustedProxies: v.TRUSTED_PROXIES,
      shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    },
    log: { level: v.LOG_LEVEL },
    database: { url: v.DATABASE_URL, poolMax: v.DATABASE_POOL_MAX, caFile: v.DATABASE_CA_FILE },
    redis: { url: v.REDIS_URL },
    secrets: {
      secretKey,
      secretKeySource,
      previousSecretKey: v.SECRET_KEY_PREVIOUS,
      kekProvider: v.ENCLAVE_KEK_PROVIDER,
      kek: kek === undefined ? undefined : Buffer.from(kek, "base64"),
      previousKek: v.ENCLAVE_KEK_PREVIOUS ? Buffer.from(v.ENCLAVE_KEK_PREVIOUS, "base64") : undefined,
    },
    worker: { concurrency: v.WORKER_CONCURRENCY },
    chat: {
      uploadMaxBytes: v.UPLOAD_MAX_MB * 1024 * 1024,
      defaultRpm: v.API_DEFAULT_RPM,
      defaultRph: v.API_DEFAULT_RPH,
      maxConcurrentPerApp: v.API_MAX_CONCURRENT_PER_APP,
      modelTimeoutMs: v.MODEL_TIMEOUT_SECONDS * 1000,
      retentionPurgeMinutes: v.RETENTION_PURGE_MINUTES,
    },
    vault: {
      address: v.VAULT_ADDR,
      namespace: v.VAULT_NAMESPACE,
      token: v.VAULT_TOKEN,
      roleIdFile: v.VAULT_ROLE_ID_FILE,
      secretIdFile: v.VAULT_SECRET_ID_FILE,
      transitMount: v.VAULT_TRANSIT_MOUNT,
      transitKey: v.VAULT_TRANSIT_KEY,
      transitSignKey: v.VAULT_TRANSIT_SIGN_KEY,
    },
    aws: { region: v.AWS_REGION, secretsEndpoint: v.AWS_SECRETS_ENDPOINT },
    secretCache: { ttlSeconds: v.SECRET_CACHE_SECONDS, graceSeconds: v.SECRET_GRACE_SECONDS },
    secretReferencePrefixes: v.SECRET_REFERENCE_PREFIXES,
    references,
    audit: {
      origin: v.AUDIT_ORIGIN,
      checkpointSeconds: v.AUDIT_CHECKPOINT_SECONDS,
      heartbeatSeconds: v.AUDIT_HEARTBEAT_SECONDS,
      signer: v.AUDIT_SIGNER,
      ship: {
        fileDir: v.AUDIT_SHIP_FILE_DIR,
        fileMaxBytes: v.AUDIT_SHIP_FILE_MAX_BYTES,
        syslogUrl: v.AUDIT_SHIP_SYSLOG_URL,
        syslogCaFile: v.AUDIT_SHIP_SYSLOG_CA_FILE,
        httpUrl: v.AUDIT_SHIP_HTTP_URL,
        httpFormat: v.AUDIT_SHIP_HTTP_FORMAT,
        httpAuthorization: v.AUDIT_SHIP_HTTP_AUTHORIZATION,
      },
    },
    outboundAllowlist: v.OUTBOUND_ALLOWLIST,
    identity: {
      sessionIdleMinutes: v.SESSION_IDLE_MINUTES,
      sessionAbsoluteHours: v.SESSION_ABSOLUTE_HOURS,
      lockoutMaxFailures: v.LOCKOUT_MAX_FAILURES,
      lockoutMinutes: v.LOCKOUT_MINUTES,
      loginIpMaxFailures: v.LOGIN_IP_MAX_FAILURES,
    },
    warnings,
  };
}

/** What resolveConfigSecrets needs: something that turns a reference into its current value. */
export interface ReferenceResolver {
  resolve(reference: string): Promise<string>;
}

/**
 * Fetches every secret given as a reference, validates it exactly as if it had been set directly
 * (format, and SECRET_KEY strength in production), and fills it into the config.
 */
export async function resolveConfigSecrets(config: Config, resolver: ReferenceResolver): Promise<Config> {
  const problems: string[] = [];
  const next: Config = {
    ...config,
    secrets: { ...config.secrets },
    database: { ...config.database },
    redis: { ...config.redis },
    audit: { ...config.audit, ship: { ...config.audit.ship } },
  };
  for (const [name, reference] of Object.entries(config.references) as [VariableName, string][]) {
    let value: string;
    try {
      value = await resolver.resolve(reference);
    } catch (err) {
      problems.push(`${name}: ${err instanceof Error ? err.message : "cannot resolve"}`);
      continue;
    }
    const parsed = VARIABLES[name].schema.safeParse(value);
    if (!parsed.success) {
      problems.push(`${name}: invalid value from ${reference.split("#")[0]}`);
      continue;
    }
    switch (name) {
      case "SECRET_KEY": {
        const problem = secretKeyProblem(value);
        if (problem && config.production)
          problems.push(`SECRET_KEY (from ${reference.split("#")[0]}) ${problem}`);
        next.secrets.secretKey = value;
        break;
      }
      case "SECRET_KEY_PREVIOUS":
        next.secrets.previousSecretKey = value;
        break;
      case "ENCLAVE_KEK":
        next.secrets.kek = Buffer.from(value, "base64");
        break;
      case "ENCLAVE_KEK_PREVIOUS":
        next.secrets.previousKek = Buffer.from(value, "base64");
        break;
      case "DATABASE_URL":
        next.database.url = value;
        break;
      case "REDIS_URL":
        next.redis.url = value;
        break;
      case "AUDIT_SHIP_HTTP_AUTHORIZATION":
        next.audit.ship.httpAuthorization = value;
        break;
      case "VAULT_TOKEN":
        problems.push("VAULT_TOKEN cannot itself come from Vault");
        break;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return next;
}
