import { readFileSync } from "node:fs";
import { hash, verify, type Algorithm } from "@node-rs/argon2";

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. `Algorithm` is a const enum we can't
// reference under isolatedModules; 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;
export const PASSWORD_HASH_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL("../../data/common-passwords.txt", import.meta.url), "utf8")
      .split("\n")
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean),
  );
  return common;
}

export function commonPasswordCount(): number {
  return commonPasswords().size;
}

/**
 * Why `password` may not be used, or null. Length 12–128 (in characters) and not a known
 * common/breached password — including one padded with digits or punctuation — nor the email.
 * No composition rules: they make passwords worse, not better (NIST SP 800-63B).
 */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters`;
  const lowered = password.toLowerCase();
  const list = commonPasswords();
  const core = lowered.replace(/^[\d\W_]+|[\d\W_]+$/g, "");
  if (list.has(lowered) || (core.length >= 4 && list.has(core)) || /^(.)\1+$/.test(password)) {
    return "password is too common: choose one that is not in lists of breached passwords";
  }
  if (email) {
    const e = email.trim().toLowerCase();
    if (lowered === e || lowered === e.split("@")[0]) return "password must not be your email address";
  }
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as checking a real password, for logins of unknown emails, so response
 * time does not reveal which emails have accounts.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummy ??= hashPassword("enclave-dummy-password-for-timing");
  await verifyPassword(await dummy, password);
  return false;
}
