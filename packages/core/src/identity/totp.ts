import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

// RFC 6238 TOTP with the parameters every authenticator app supports: SHA-1, 30 s, 6 digits.
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const SECRET_BYTES = 20;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, upper case, without padding (the form the Key Uri Format asks for). */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Reverses `base32Encode`; accepts lower case and trailing `=` padding, throws on anything else. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const idx = BASE32.indexOf(ch);
    if (idx < 0) throw new Error("invalid base32");
    value = ((value << 5) | idx) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new shared secret: 160 random bits (RFC 4226's recommended length), base32 without padding. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

/** The RFC 6238 time step (T) that `nowMs` falls in. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / PERIOD_SECONDS);
}

/**
 * The code for `step` under the secret. `digits` exists for the RFC test vectors (8 digits);
 * the product uses the default of 6 everywhere.
 */
export function totpCode(secretBase32: string, step: number, digits = DIGITS): string {
  return hotp(base32Decode(secretBase32), step, digits);
}

/** HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the 8-byte counter, dynamically truncated. */
function hotp(key: Buffer, counter: number, digits: number): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("invalid TOTP step");
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new RangeError("invalid digit count");
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, "0");
}

/**
 * Checks `code` against the steps around now (±1, for clock drift) and returns the matching step,
 * but only if it is later than `lastAcceptedStep` — so a code works once, and an older code never
 * works after a newer one. Null when nothing matches.
 */
export function verifyTotp(
  secretBase32: string,
  code: string,
  nowMs: number,
  lastAcceptedStep: number | null,
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const key = base32Decode(secretBase32);
  const now = totpStep(nowMs);
  const given = Buffer.from(code, "utf8");
  let matched: number | null = null;
  for (const step of [now - 1, now, now + 1]) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(key, step, DIGITS), "utf8");
    // Every candidate is compared, in constant time, so timing does not tell which step matched.
    const equal = timingSafeEqual(expected, given);
    if (equal && (lastAcceptedStep === null || step > lastAcceptedStep)) matched = step;
  }
  return matched;
}

/**
 * Key Uri Format (the QR code content) for authenticator apps:
 * `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
 */
export function otpauthUri(input: { issuer: string; accountName: string; secret: string }): string {
  // The format separates issuer and account with a colon, so neither may contain one.
  if (input.issuer.includes(":") || input.accountName.includes(":")) {
    throw new Error("otpauth issuer and account name must not contain ':'");
  }
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.accountName)}`;
  // encodeURIComponent, not URLSearchParams: some apps show a form-encoded "+" literally.
  const params: [string, string][] = [
    ["secret", input.secret],
    ["issuer", input.issuer],
    ["algorithm", "SHA1"],
    ["digits", String(DIGITS)],
    ["period", String(PERIOD_SECONDS)],
  ];
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return `otpauth://totp/${label}?${query}`;
}
