/**
 * Redaction shared by the logger and the audit trail: values under keys that name a secret are
 * replaced, at any depth. Matching by key name catches fields added later without a config change.
 */
export const REDACTED = "[REDACTED]";

const SENSITIVE_WORD =
  /pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|credential|api[-_]?key|private|(^|[-_])key$|^otp$|totp|recovery[-_]?code/i;
// camelCase "...Key" (apiKey, signingKey) but not words that merely end in "key" (monkey).
const CAMEL_KEY = /[a-z0-9]Key$/;
// Names that contain a sensitive word but never hold a secret value.
const SAFE_KEYS = new Set(["keyId", "tokenType", "passwordChanged", "mfaRecoveryCodesRemaining"]);

export function isSensitiveKey(key: string): boolean {
  return !SAFE_KEYS.has(key) && (SENSITIVE_WORD.test(key) || CAMEL_KEY.test(key));
}

export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  // Only plain data is walked; class instances (requests, errors) go to their own serializers.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redactDeep(v, depth + 1);
  }
  return out;
}
