import { isIP } from "node:net";
import { z } from "zod";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ipOrCidr = z.string().refine((v) => {
  const [addr, bits, extra] = v.split("/");
  if (extra !== undefined || !addr || !isIP(addr)) return false;
  if (bits === undefined) return true;
  const max = isIP(addr) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}, "must be an IP address or CIDR");

export interface VariableSpec {
  schema: z.ZodType;
  description: string;
  /** Also readable from a file named by `NAME_FILE`; never printed. */
  secret?: boolean;
  default?: string;
}

/**
 * Every environment variable Enclave reads. The README's configuration table is generated from
 * this list (`npm run docs:config`) and a test keeps the two in sync.
 */
export const VARIABLES = {
  ENCLAVE_ENV: {
    schema: z.enum(["development", "production"]).default("development"),
    default: "development",
    description:
      "`production` refuses to start without strong secrets from the environment, files or a secret store; `development` generates them into the data directory.",
  },
  HOST: {
    schema: z.string().min(1).default("127.0.0.1"),
    default: "127.0.0.1",
    description: "Address the HTTP server binds to. Use `0.0.0.0` only behind a reverse proxy or firewall.",
  },
  PORT: {
    schema: int(0, 65535).default(5001),
    default: "5001",
    description: "HTTP port (`0` picks a free one).",
  },
  PUBLIC_URL: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    description:
      "External URL users reach Enclave at (e.g. `https://enclave.example.com`); used in links and to decide cookie security.",
  },
  ENCLAVE_DATA_DIR: {
    schema: z.string().min(1).default("./data"),
    default: "./data",
    description: "Directory for the embedded database, generated secrets and files.",
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS).default("info"),
    default: "info",
    description: "One of fatal, error, warn, info, debug, trace, silent.",
  },
  DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
    secret: true,
    description:
      "PostgreSQL 15+ connection URL. Unset: embedded PGlite in `<data dir>/pg`. TLS via `?sslmode=` or `DATABASE_CA_FILE`.",
  },
  DATABASE_POOL_MAX: {
    schema: int(1, 500).default(10),
    default: "10",
    description: "Maximum connections in the PostgreSQL pool (per process).",
  },
  DATABASE_CA_FILE: {
    schema: z.string().min(1).optional(),
    description: "PEM file of the CA that signed the database server's certificate; enables verified TLS.",
  },
  REDIS_URL: {
    schema: z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
      .optional(),
    secret: true,
    description: "Redis for the job queue (BullMQ), shared rate limits and caches. Unset: in-process.",
  },
  SECRET_KEY: {
    schema: z.string().optional(),
    secret: true,
    description:
      "Root secret for signing sessions and deriving keys: ≥ 32 random bytes. Required in production; generated into `<data dir>/secrets/` otherwise.",
  },
  ENCLAVE_KEK: {
    schema: z
      .string()
      .refine(
        (v) => Buffer.from(v, "base64").length === 32,
        "must be 32 bytes, base64 (openssl rand -base64 32)",
      )
      .optional(),
    secret: true,
    description:
      "Key-encryption key (32 bytes, base64) wrapping each workspace's data key. Required in production with the local KEK provider; generated into `<data dir>/secrets/kek` otherwise. With `ENCLAVE_KEK_PROVIDER=vault-transit` it only unwraps keys not yet migrated by `enclave keys rotate`.",
  },
  ENCLAVE_KEK_PREVIOUS: {
    schema: z
      .string()
      .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64")
      .optional(),
    secret: true,
    description:
      "The KEK being rotated out: still unwraps until `enclave keys rotate` has rewrapped every data key.",
  },
  ENCLAVE_KEK_PROVIDER: {
    schema: z.enum(["local", "vault-transit"]).default("local"),
    default: "local",
    description:
      "Where the key-encryption key lives: `local` (ENCLAVE_KEK) or `vault-transit` (wrap/unwrap by Vault Transit; the key never leaves Vault; needs VAULT_ADDR).",
  },
  VAULT_TRANSIT_MOUNT: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/)
      .default("transit"),
    default: "transit",
    description: "Mount path of the Transit secrets engine used as KEK.",
  },
  VAULT_TRANSIT_KEY: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default("enclave-kek"),
    default: "enclave-kek",
    description:
      "Transit key name (type aes256-gcm96). The Vault policy needs `update` on `<mount>/encrypt/<key>` and `<mount>/decrypt/<key>`, `read` on `<mount>/keys/<key>`.",
  },
  AUDIT_SIGNER: {
    schema: z.enum(["local", "vault-transit"]).default("local"),
    default: "local",
    description:
      "Who signs audit checkpoints: `local` (Ed25519 key derived from SECRET_KEY) or `vault-transit` (an `ed25519` Transit key; Enclave only holds the public key).",
  },
  VAULT_TRANSIT_SIGN_KEY: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default("enclave-audit"),
    default: "enclave-audit",
    description: "Transit key (type ed25519) that signs audit checkpoints when `AUDIT_SIGNER=vault-transit`.",
  },
  VAULT_ADDR: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    description:
      "HashiCorp Vault address. Secret variables may then hold references like `vault:secret/data/enclave/app#secret_key` (KV v2).",
  },
  VAULT_NAMESPACE: {
    schema: z.string().min(1).optional(),
    description: "Vault Enterprise namespace header.",
  },
  VAULT_TOKEN: {
    schema: z.string().min(1).optional(),
    secret: true,
    description:
      "Vault token (e.g. one written by Vault Agent: use `VAULT_TOKEN_FILE`). Alternative to AppRole.",
  },
  VAULT_ROLE_ID_FILE: {
    schema: z.string().min(1).optional(),
    description: "File holding the AppRole role_id.",
  },
  VAULT_SECRET_ID_FILE: {
    schema: z.string().min(1).optional(),
    description: "File holding the AppRole secret_id.",
  },
  AWS_REGION: {
    schema: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-west-1")
      .optional(),
    description:
      "Enables `aws-sm:<secret id>#<json key>` references (AWS Secrets Manager); credentials come from the standard AWS chain (IAM role, env).",
  },
  AWS_SECRETS_ENDPOINT: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    description: "Secrets Manager endpoint override (VPC endpoint).",
  },
  SECRET_CACHE_SECONDS: {
    schema: int(1, 86_400).default(300),
    default: "300",
    description:
      "How long a value fetched from a secret store is used before it is fetched again (rotation).",
  },
  SECRET_GRACE_SECONDS: {
    schema: int(0, 7 * 86_400).default(3600),
    default: "3600",
    description:
      "How long the last good value is served while the secret store is unreachable (with an alert).",
  },
  SECRET_REFERENCE_PREFIXES: {
    schema: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    default: "(none)",
    description:
      "Secret-store reference prefixes that workspace admins may type in the console instead of a literal provider key or sink header, e.g. `vault:secret/data/tenants/{workspaceId}/`; `{workspaceId}` becomes the admin's own workspace. Empty: the console accepts literal secrets only.",
  },
  SECRET_KEY_PREVIOUS: {
    schema: z.string().optional(),
    secret: true,
    description:
      "The SECRET_KEY being rotated out: sessions signed with it (their `kid`) stay valid until they expire. Remove it after SESSION_ABSOLUTE_HOURS.",
  },
  TRUSTED_PROXIES: {
    schema: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(ipOrCidr)),
    default: "(none)",
    description:
      "Comma-separated IPs/CIDRs of reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.",
  },
  BODY_LIMIT_BYTES: {
    schema: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
    default: "1048576",
    description: "Largest accepted request body for JSON routes, in bytes.",
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: int(100, 600_000).default(15_000),
    default: "15000",
    description: "How long SIGTERM waits for in-flight requests and jobs before forcing exit.",
  },
  SESSION_IDLE_MINUTES: {
    schema: int(1, 24 * 60).default(30),
    default: "30",
    description: "A console session unused this long ends.",
  },
  SESSION_ABSOLUTE_HOURS: {
    schema: int(1, 24 * 30).default(12),
    default: "12",
    description: "A console session ends this long after sign-in, however active.",
  },
  LOCKOUT_MAX_FAILURES: {
    schema: int(1, 100).default(5),
    default: "5",
    description: "Failed sign-ins for one account from one IP before that pair is locked.",
  },
  LOCKOUT_MINUTES: {
    schema: int(1, 24 * 60).default(15),
    default: "15",
    description: "Length of the first lock; each repeat lock of the same pair doubles it (up to 24 h).",
  },
  LOGIN_IP_MAX_FAILURES: {
    schema: int(1, 10_000).default(30),
    default: "30",
    description:
      "Failed sign-ins from one IP, across all accounts, before the IP is throttled (password spraying).",
  },
  AUDIT_ORIGIN: {
    schema: z
      .string()
      .regex(/^[a-zA-Z0-9._/-]+$/, "letters, digits, '.', '_', '-' and '/' only")
      .default("enclave.local/audit"),
    default: "enclave.local/audit",
    description:
      "Origin line and key name of signed audit checkpoints; make it unique per deployment (e.g. `enclave.example.com/audit`).",
  },
  AUDIT_CHECKPOINT_SECONDS: {
    schema: int(1, 86_400).default(60),
    default: "60",
    description: "How often the worker signs a Merkle checkpoint over new audit events.",
  },
  AUDIT_HEARTBEAT_SECONDS: {
    schema: int(10, 86_400).default(300),
    default: "300",
    description:
      "When no audit event happened for this long, the worker appends a signed `audit.heartbeat` so a SIEM can alert when heartbeats stop.",
  },
  AUDIT_SHIP_FILE_DIR: {
    schema: z.string().min(1).optional(),
    description: "Ship audit events and checkpoints as JSON lines into this directory (e.g. a host volume).",
  },
  AUDIT_SHIP_FILE_MAX_BYTES: {
    schema: int(4096, 10 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    default: "67108864",
    description: "Size at which the shipped JSON-lines file is rotated.",
  },
  AUDIT_SHIP_SYSLOG_URL: {
    schema: z
      .string()
      .regex(/^(tcp|tls):\/\/[^/]+:\d+$/, "must be tcp://host:port or tls://host:port")
      .optional(),
    description: "Ship audit events to a SIEM as RFC 5424 syslog (octet-counted) over TCP or TLS.",
  },
  AUDIT_SHIP_SYSLOG_CA_FILE: {
    schema: z.string().min(1).optional(),
    description: "PEM CA that signed the syslog receiver's certificate (for `tls://`).",
  },
  AUDIT_SHIP_HTTP_URL: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    description:
      "Ship audit events over HTTP(S) as JSON (a webhook, or Elasticsearch with `AUDIT_SHIP_HTTP_FORMAT`).",
  },
  AUDIT_SHIP_HTTP_FORMAT: {
    schema: z.enum(["generic", "elasticsearch"]).default("generic"),
    default: "generic",
    description:
      "`generic` posts a JSON array; `elasticsearch` posts NDJSON to `<url>/_bulk` with the event id as `_id`.",
  },
  AUDIT_SHIP_HTTP_AUTHORIZATION: {
    schema: z.string().min(1).optional(),
    secret: true,
    description: "Authorization header sent to the HTTP sink (e.g. `ApiKey …`).",
  },
  OUTBOUND_ALLOWLIST: {
    schema: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    default: "(none)",
    description:
      "Hosts, IPs or CIDRs that outbound requests may reach although they are private (a SIEM or model server on the internal network). Everything non-public is refused otherwise.",
  },
  UPLOAD_MAX_MB: {
    schema: int(1, 1024).default(15),
    default: "15",
    description: "Largest file accepted by `POST /v1/files/upload`, in MiB.",
  },
  API_DEFAULT_RPM: {
    schema: int(0, 10_000_000).default(600),
    default: "600",
    description:
      "Requests per minute per service API key for apps that set no `apiRpm` of their own (`0` = unlimited).",
  },
  API_DEFAULT_RPH: {
    schema: int(0, 100_000_000).default(20_000),
    default: "20000",
    description:
      "Requests per hour per service API key for apps that set no `apiRph` of their own (`0` = unlimited).",
  },
  API_MAX_CONCURRENT_PER_APP: {
    schema: int(0, 100_000).default(100),
    default: "100",
    description:
      "Generations running at once per app, for apps that set no `maxConcurrentRequests` (`0` = unlimited).",
  },
  MODEL_TIMEOUT_SECONDS: {
    schema: int(1, 3600).default(120),
    default: "120",
    description: "How long a model call may take before it fails with `upstream_timeout`.",
  },
  RETENTION_PURGE_MINUTES: {
    schema: int(1, 10_080).default(60),
    default: "60",
    description: "How often conversations past their app's retention period are purged.",
  },
  WORKER_CONCURRENCY: {
    schema: int(1, 64).default(2),
    default: "2",
    description: "Jobs processed at once per worker process.",
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;

export const SECRET_VARIABLES = (Object.keys(VARIABLES) as VariableName[]).filter(
  (name) => (VARIABLES[name] as VariableSpec).secret,
);

/** Markdown table of every variable, for the README. */
export function configReference(): string {
  const rows = (Object.entries(VARIABLES) as [string, VariableSpec][]).map(([name, spec]) => {
    const names = spec.secret ? `\`${name}\` / \`${name}_FILE\`` : `\`${name}\``;
    return `| ${names} | ${spec.default ? `\`${spec.default}\`` : ""} | ${spec.description} |`;
  });
  return ["| Variable | Default | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
