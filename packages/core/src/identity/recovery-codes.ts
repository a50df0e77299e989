import { randomInt } from "node:crypto";
import { deriveKey, hmacHex } from "../crypto/keys.ts";

// No 0/o, 1/l/i: codes get read aloud and copied from paper.
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
export const RECOVERY_CODE_COUNT = 10;

/** Ten single-use codes like `k7m2p-x9qrt`: 10 symbols of a 31-letter alphabet ≈ 49.5 bits… */
export function generateRecoveryCodes(): string[] {
  // …so use 12 symbols (≈ 59 bits), shown as three groups of four.
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]!).join("");
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
  });
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]+/g, "");
}

export function hashRecoveryCode(rootSecret: string, code: string): string {
  return hmacHex(deriveKey(rootSecret, "recovery-codes"), normalizeRecoveryCode(code));
}
