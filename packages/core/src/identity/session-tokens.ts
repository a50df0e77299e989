import { SignJWT, jwtVerify, errors, type JWTHeaderParameters } from "jose";
import { deriveKey, keyId } from "../crypto/keys.ts";

export interface SigningKey {
  kid: string;
  key: Buffer;
}

/** The current signing key and older ones still accepted during a rotation's grace window. */
export interface Keyring {
  current: SigningKey;
  previous: SigningKey[];
}

export type TokenPurpose = "session" | "mfa";

const ISSUER = "enclave";
const ALG = "HS256";

export function sessionKeyring(rootSecret: string, previousRootSecrets: string[] = []): Keyring {
  const make = (secret: string): SigningKey => {
    const key = deriveKey(secret, "session-jwt");
    return { kid: keyId(key), key };
  };
  return { current: make(rootSecret), previous: previousRootSecrets.map(make) };
}

/** Signs a short-lived token that names a server-side record (`sid`): a session or an MFA challenge. */
export async function signToken(
  keyring: Keyring,
  purpose: TokenPurpose,
  claims: { sid: string; sub: string },
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: ALG, kid: keyring.current.kid, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(`enclave:${purpose}`)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(keyring.current.key);
}

export interface VerifiedToken {
  sid: string;
  sub: string;
  exp: number;
  iat: number;
}

/**
 * Verifies signature (HS256 only: `none` and asymmetric algorithms are refused), key id, issuer,
 * audience (purpose) and expiry. Any failure is null: callers answer 401 without detail.
 */
export async function verifyToken(
  keyring: Keyring,
  purpose: TokenPurpose,
  token: string,
): Promise<VerifiedToken | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header: JWTHeaderParameters) => {
        const found = [keyring.current, ...keyring.previous].find((k) => k.kid === header.kid);
        if (!found) throw new errors.JWKSNoMatchingKey();
        return found.key;
      },
      {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: `enclave:${purpose}`,
        requiredClaims: ["sid", "sub", "exp", "iat"],
      },
    );
    if (typeof payload.sid !== "string" || typeof payload.sub !== "string") return null;
    return { sid: payload.sid, sub: payload.sub, exp: payload.exp!, iat: payload.iat! };
  } catch {
    return null;
  }
}
