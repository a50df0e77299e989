/**
 * Why a secret key would be unsafe, or null if it looks fine. Values published in docs,
 * sample .env files and peers' defaults are refused outright: attackers try them first.
 */
const PUBLISHED = [
  "sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U", // Dify's sample SECRET_KEY
  "changeme",
  "change-me",
  "change_me",
  "changethis",
  "changeit",
  "secret",
  "secretkey",
  "secret-key",
  "secret_key",
  "mysecret",
  "supersecret",
  "your-secret-key",
  "your_secret_key",
  "yoursecretkey",
  "your-secret-key-here",
  "please-change-me",
  "replace-me",
  "default",
  "password",
  "admin",
  "test",
  "development",
  "insecure",
  "not-a-secret",
  "keyboard cat",
];
const PUBLISHED_NORMALISED = new Set(PUBLISHED.map(normalise));

function normalise(v: string): string {
  return v.trim().toLowerCase();
}

export const MIN_SECRET_BYTES = 32;
const MIN_ENTROPY_BITS = 128;

/** Shannon entropy of the string's characters, times its length: a rough upper bound in bits. */
export function estimatedEntropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...value].length;
  let perChar = 0;
  for (const c of counts.values()) perChar -= (c / n) * Math.log2(c / n);
  return perChar * n;
}

/** True when the string is a shorter string repeated ("abcabcabc…"). */
function isRepetition(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    if (value.length % period !== 0) continue;
    if (value.slice(0, period).repeat(value.length / period) === value) return true;
  }
  return false;
}

export function secretKeyProblem(value: string): string | null {
  const lowered = normalise(value);
  if (
    PUBLISHED_NORMALISED.has(lowered) ||
    [...PUBLISHED_NORMALISED].some((p) => p.length >= 20 && lowered.includes(p))
  ) {
    return "is a published default value";
  }
  if (Buffer.byteLength(value, "utf8") < MIN_SECRET_BYTES) {
    return `is shorter than ${MIN_SECRET_BYTES} bytes`;
  }
  if (isRepetition(value) || estimatedEntropyBits(value) < MIN_ENTROPY_BITS) {
    return "has too little entropy (generate one with: openssl rand -base64 48)";
  }
  return null;
}
