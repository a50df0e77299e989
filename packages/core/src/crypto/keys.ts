import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * Derives an independent 32-byte key for one purpose from the root SECRET_KEY (HKDF-SHA256), so a
 * key leaked from one use (say, CSRF) reveals nothing about another (session signing).
 */
export function deriveKey(rootSecret: string, purpose: string): Buffer {
  return Buffer.from(
    hkdfSync("sha256", Buffer.from(rootSecret, "utf8"), Buffer.alloc(0), `enclave/${purpose}`, 32),
  );
}

/** Short public identifier of a key (for a JWT `kid`): first 16 hex chars of its SHA-256. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** A random token for links and cookies: `bytes` of entropy, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

export function hmacHex(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(value, "utf8").digest("hex");
}
