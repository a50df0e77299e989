import { Envelope } from "../crypto/envelope.ts";
import { AppError } from "../errors/app-error.ts";
import { isSecretReference, type SecretResolver } from "./resolver.ts";

/**
 * Secret references typed into the console (a provider's API key, a sink's Authorization header).
 *
 * A reference makes the server fetch a secret with *its own* credentials and then send that value
 * wherever the tenant points the provider or sink. Left open, a workspace admin could type
 * `vault:secret/data/enclave/app#secret_key`, aim the base URL at a host they control and read the
 * deployment's secrets off the wire. So the console may only use references under prefixes the
 * operator lists in SECRET_REFERENCE_PREFIXES, where `{workspaceId}` stands for the caller's own
 * workspace (`vault:secret/data/tenants/{workspaceId}/`): one tenant's path is never another's.
 * With no prefixes configured, references are refused in the console (config can still use them).
 */
export interface ConsoleSecretSettings {
  resolver: SecretResolver;
  /** Allowed reference prefixes; `{workspaceId}` is replaced by the caller's workspace id. */
  consolePrefixes: readonly string[];
}

// What a console reference may contain at all: no `..` or `.` path segments, no empty segments, no
// percent-encoding, no whitespace or control characters — nothing a URL or path join could
// normalise into a different location than the prefix check saw.
const SAFE_CHARS = /^[A-Za-z0-9/_.:@+=#?,-]+$/;

function badSegments(path: string): boolean {
  return path
    .split("/")
    .some((s, i, all) => s === ".." || s === "." || (s === "" && i > 0 && i < all.length - 1));
}

/** True when `value` is a reference; throws a 400 when it is one the console may not use. */
function checkConsoleSecret(
  value: string,
  field: string,
  workspaceId: string,
  settings: ConsoleSecretSettings | undefined,
): boolean {
  if (!isSecretReference(value)) return false;
  const refuse = (why: string) => {
    throw new AppError("secret_reference_not_allowed", `${field}: ${why}`, { field });
  };
  const prefixes = (settings?.consolePrefixes ?? []).map((p) => p.replaceAll("{workspaceId}", workspaceId));
  if (prefixes.length === 0)
    refuse(
      "secret-store references are not enabled for the console on this deployment (SECRET_REFERENCE_PREFIXES)",
    );
  if (!SAFE_CHARS.test(value) || badSegments(value.replace(/^[a-z-]+:/, "").split(/[#?]/, 1)[0]!))
    refuse("the reference has characters or path segments that are not allowed");
  if (!prefixes.some((p) => value.startsWith(p)))
    refuse("the reference is outside the secret-store paths this workspace may use");
  return true;
}

/**
 * What the console shows for a secret typed into it, after checking it: a reference is shown whole
 * (it is an address, not a secret, and admins need to see which path is used), a value is masked.
 */
export function consoleSecretMask(
  value: string,
  field: string,
  workspaceId: string,
  settings: ConsoleSecretSettings | undefined,
): string {
  return checkConsoleSecret(value, field, workspaceId, settings) ? value : Envelope.mask(value);
}

/** Resolves a stored value that may be a reference; an unresolvable one is a clear 400 for the caller. */
export async function resolveStoredSecret(
  value: string,
  settings: ConsoleSecretSettings | undefined,
): Promise<string> {
  if (!isSecretReference(value)) return value;
  if (!settings) throw new AppError("provider_not_initialize", "secret-store references are not configured");
  return settings.resolver.resolve(value);
}
