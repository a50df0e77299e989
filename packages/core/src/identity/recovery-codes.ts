import { randomInt } from "node:crypto";
import { deriveKey, hmacHex } from "../crypto/keys.ts";

// Crockford's base32 alphabet, lower case: no i, l, o or u, so nothing reads as another symbol
// when copied from paper. 32 symbols = 5 bits each; 10 symbols = 50 bits per code.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const SYMBOLS = 10;
export const RECOVERY_CODE_COUNT = 10;

/** Ten distinct single-use codes like `k7m2p-x9qrt`, each 50 random bits. */
export function generateRecoveryCodes(): string[] {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) {
    const chars = Array.from({ length: SYMBOLS }, () => ALPHABET[randomInt(ALPHABET.length)]!).join("");
    codes.add(`${chars.slice(0, 5)}-${chars.slice(5)}`);
  }
  return [...codes];
}

/** The form a code is hashed in: case, dashes and whitespace anywhere do not matter. */
export function normalizeRecoveryCode(input: string): string {
  // Typographic dashes (U+2010–2015, U+2212) too: codes pasted from documents arrive with them.
  return input.toLowerCase().replace(/[\s\-\u2010-\u2015\u2212]+/g, "");
}

/** The key recovery codes are hashed under, derived from the root SECRET_KEY. */
export function recoveryCodeKey(rootSecret: string): Buffer {
  return deriveKey(rootSecret, "recovery-codes");
}

/**
 * What is stored for a code: HMAC-SHA256 of its normalised form under `recoveryCodeKey`. Keyed,
 * so a leaked table cannot be brute-forced offline without the server's key.
 */
export function hashRecoveryCode(key: Buffer, code: string): string {
  return hmacHex(key, normalizeRecoveryCode(code));
}
