import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SignJWT, UnsecuredJWT, importPKCS8 } from "jose";
import { sessionKeyring, signToken, verifyToken } from "./session-tokens.ts";

const ROOT = "q8Vt3LzP0wXr7NdKs2YbHf5JmC9gAeU4RjTnWoZi1QvS6lBy";
const keyring = sessionKeyring(ROOT);
const claims = { sid: "0190a000-0000-7000-8000-000000000001", sub: "0190a000-0000-7000-8000-000000000002" };

function b64(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString("base64url");
}

describe("session tokens", () => {
  it("round-trip with a kid header", async () => {
    const token = await signToken(keyring, "session", claims, 60);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as {
      kid: string;
      alg: string;
    };
    expect(header).toMatchObject({ alg: "HS256", kid: keyring.current.kid });
    expect(await verifyToken(keyring, "session", token)).toMatchObject(claims);
  });

  it("refuse alg none", async () => {
    const unsecured = new UnsecuredJWT({ sid: claims.sid })
      .setSubject(claims.sub)
      .setIssuer("enclave")
      .setAudience("enclave:session")
      .setIssuedAt()
      .setExpirationTime("1h")
      .encode();
    expect(await verifyToken(keyring, "session", unsecured)).toBeNull();
    const [, payload] = (await signToken(keyring, "session", claims, 60)).split(".");
    expect(
      await verifyToken(keyring, "session", `${b64({ alg: "none", kid: keyring.current.kid })}.${payload}.`),
    ).toBeNull();
  });

  it("refuse an RS256 token (algorithm confusion) even with a matching kid", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = await importPKCS8(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "RS256");
    const forged = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: "RS256", kid: keyring.current.kid })
      .setSubject(claims.sub)
      .setIssuer("enclave")
      .setAudience("enclave:session")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
    expect(await verifyToken(keyring, "session", forged)).toBeNull();
  });

  it("refuse an unknown kid, a key derived from another secret, and an edited payload", async () => {
    const other = sessionKeyring("another-root-secret-that-is-long-enough-123456");
    const foreign = await signToken(other, "session", claims, 60);
    expect(await verifyToken(keyring, "session", foreign)).toBeNull();
    const good = await signToken(keyring, "session", claims, 60);
    const [h, , sig] = good.split(".");
    const edited = `${h}.${b64({ sid: claims.sid, sub: "someone-else", iss: "enclave", aud: "enclave:session", iat: 1, exp: 9999999999 })}.${sig}`;
    expect(await verifyToken(keyring, "session", edited)).toBeNull();
    const wrongKid = `${b64({ alg: "HS256", kid: "0000000000000000", typ: "JWT" })}.${good.split(".")[1]}.${sig}`;
    expect(await verifyToken(keyring, "session", wrongKid)).toBeNull();
  });

  it("refuse an expired token and one minted for another purpose", async () => {
    const expired = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: "HS256", kid: keyring.current.kid })
      .setSubject(claims.sub)
      .setIssuer("enclave")
      .setAudience("enclave:session")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(keyring.current.key);
    expect(await verifyToken(keyring, "session", expired)).toBeNull();
    const mfa = await signToken(keyring, "mfa", claims, 60);
    expect(await verifyToken(keyring, "session", mfa)).toBeNull();
  });

  it("accept a token signed with a previous key during rotation", async () => {
    const old = sessionKeyring("the-previous-root-secret-value-0123456789abcdef");
    const token = await signToken(old, "session", claims, 60);
    const rotated = sessionKeyring(ROOT, ["the-previous-root-secret-value-0123456789abcdef"]);
    expect(await verifyToken(rotated, "session", token)).toMatchObject(claims);
  });
});
