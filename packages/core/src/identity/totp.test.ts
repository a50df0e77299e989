import { describe, expect, it } from "vitest";
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  otpauthUri,
  totpCode,
  totpStep,
  verifyTotp,
} from "./totp.ts";

// RFC 6238 Appendix B, SHA-1: the secret is the ASCII string "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from("12345678901234567890", "ascii"));
const VECTORS: [number, string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

describe("TOTP (RFC 6238)", () => {
  it.each(VECTORS)("matches the RFC vector at T=%i (8 digits)", (seconds, expected) => {
    expect(totpCode(RFC_SECRET, totpStep(seconds * 1000), 8)).toBe(expected);
  });

  it.each(VECTORS)("gives the vector's last 6 digits by default at T=%i", (seconds, expected) => {
    expect(totpCode(RFC_SECRET, totpStep(seconds * 1000))).toBe(expected.slice(-6));
  });

  it("steps are 30 s wide", () => {
    expect(totpStep(0)).toBe(0);
    expect(totpStep(29_999)).toBe(0);
    expect(totpStep(30_000)).toBe(1);
    expect(totpStep(59_000)).toBe(1);
  });

  it("base32 follows RFC 4648 §10 (unpadded) and round-trips", () => {
    const cases: [string, string][] = [
      ["", ""],
      ["f", "MY"],
      ["fo", "MZXQ"],
      ["foo", "MZXW6"],
      ["foob", "MZXW6YQ"],
      ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI"],
    ];
    for (const [plain, encoded] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      expect(base32Decode(encoded).toString()).toBe(plain);
    }
    expect(base32Decode("MZXW6YQ=").toString()).toBe("foob");
    expect(base32Decode("mzxw6").toString()).toBe("foo");
    expect(() => base32Decode("MZXW1")).toThrow();
  });

  it("new secrets carry 160 random bits, base32 without padding", () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(base32Encode(base32Decode(a))).toBe(a);
    expect(a).not.toBe(b);
  });
});

describe("verifyTotp", () => {
  const secret = generateTotpSecret();
  const now = 1_700_000_010_000;
  const step = totpStep(now);
  const code = (s: number) => totpCode(secret, s);

  it("accepts the current step and one step either side, returning the matched step", () => {
    expect(verifyTotp(secret, code(step), now, null)).toBe(step);
    expect(verifyTotp(secret, code(step - 1), now, null)).toBe(step - 1);
    expect(verifyTotp(secret, code(step + 1), now, null)).toBe(step + 1);
  });

  it("refuses steps outside the window", () => {
    for (const s of [step - 2, step + 2, step - 100]) {
      // A far step's code can collide with a window code (1 in 10^6); only assert when it doesn't.
      if ([step - 1, step, step + 1].some((w) => code(w) === code(s))) continue;
      expect(verifyTotp(secret, code(s), now, null)).toBeNull();
    }
  });

  it("accepts a code once: replay fails, an older code after a newer one fails, the next passes", () => {
    expect(verifyTotp(secret, code(step), now, step)).toBeNull();
    expect(verifyTotp(secret, code(step - 1), now, step)).toBeNull();
    expect(verifyTotp(secret, code(step + 1), now, step)).toBe(step + 1);
    expect(verifyTotp(secret, code(step), now, step + 1)).toBeNull();
    expect(verifyTotp(secret, code(step + 1), now, step + 1)).toBeNull();
  });

  it("refuses malformed codes and another secret's code", () => {
    for (const bad of ["", "12345", "1234567", "abcdef", " 123456", "12345\n", "１２３４５６"]) {
      expect(verifyTotp(secret, bad, now, null)).toBeNull();
    }
    const other = generateTotpSecret();
    const theirs = totpCode(other, step);
    if (![step - 1, step, step + 1].some((s) => code(s) === theirs)) {
      expect(verifyTotp(secret, theirs, now, null)).toBeNull();
    }
  });

  it("does not fail near the epoch, where the previous step would be negative", () => {
    expect(verifyTotp(secret, code(0), 1_000, null)).toBe(0);
  });
});

describe("otpauthUri", () => {
  it("follows the Key Uri Format, percent-encoding label and values", () => {
    const raw = otpauthUri({
      issuer: "Acme Corp",
      accountName: "a+b@example.com",
      secret: "JBSWY3DPEHPK3PXP",
    });
    expect(raw).toBe(
      "otpauth://totp/Acme%20Corp:a%2Bb%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Corp" +
        "&algorithm=SHA1&digits=6&period=30",
    );
    const uri = new URL(raw);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Acme Corp:a+b@example.com");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: "JBSWY3DPEHPK3PXP",
      issuer: "Acme Corp",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });

  it("refuses a colon in issuer or account name, which would split the label wrongly", () => {
    expect(() => otpauthUri({ issuer: "A:B", accountName: "x@example.com", secret: "AAAA" })).toThrow();
    expect(() => otpauthUri({ issuer: "Enclave", accountName: "x:y@example.com", secret: "AAAA" })).toThrow();
  });
});
