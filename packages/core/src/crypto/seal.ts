import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";

/**
 * AES-256-GCM with a random 96-bit nonce. `aad` binds the ciphertext to where it lives (e.g.
 * `account:<id>:totp`) so it cannot be moved to another row. Output: `v1.<nonce>.<tag>.<ct>`.
 */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    VERSION,
    nonce.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    ct.toString("base64url"),
  ].join(".");
}

/** Reverses `seal`; throws if the key, the aad or any byte is wrong. */
export function open(key: Buffer, sealed: string, aad: string): string {
  const [version, nonce, tag, ct] = sealed.split(".");
  if (version !== VERSION || !nonce || !tag || ct === undefined) throw new Error("malformed sealed value");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}
