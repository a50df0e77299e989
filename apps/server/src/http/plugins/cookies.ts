import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { hmacHex, randomToken } from "@enclave/core";

/**
 * Cookie names. Over HTTPS (directly, or X-Forwarded-Proto from a trusted proxy) the `__Host-`
 * prefix makes the browser insist on Secure, Path=/ and no Domain. Plain HTTP (a localhost
 * install) falls back to unprefixed names without Secure; only the names for the request's own
 * scheme are ever read, so a cookie planted over HTTP is ignored on HTTPS.
 */
export function cookieNames(request: FastifyRequest) {
  const secure = request.protocol === "https";
  const prefix = secure ? "__Host-" : "";
  return {
    secure,
    session: `${prefix}enclave_session`,
    mfa: `${prefix}enclave_mfa`,
    csrf: `${prefix}enclave_csrf`,
  };
}

export function setAuthCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  kind: "session" | "mfa",
  value: string,
  expiresAt: Date,
): void {
  const names = cookieNames(request);
  reply.setCookie(names[kind], value, {
    httpOnly: true,
    secure: names.secure,
    sameSite: "lax",
    path: "/",
    expires: expiresAt,
  });
}

export function clearAuthCookie(request: FastifyRequest, reply: FastifyReply, kind: "session" | "mfa"): void {
  const names = cookieNames(request);
  reply.clearCookie(names[kind], { httpOnly: true, secure: names.secure, sameSite: "lax", path: "/" });
}

export function readCookie(request: FastifyRequest, kind: "session" | "mfa" | "csrf"): string | undefined {
  return request.cookies[cookieNames(request)[kind]];
}

/** Signed double-submit token: `<random>.<hmac>`. The signature stops a planted cookie from working. */
export function issueCsrfToken(key: Buffer): string {
  const nonce = randomToken(24);
  return `${nonce}.${hmacHex(key, nonce)}`;
}

export function csrfTokenValid(key: Buffer, token: string | undefined): boolean {
  if (!token) return false;
  const [nonce, mac, extra] = token.split(".");
  if (!nonce || !mac || extra !== undefined) return false;
  const expected = Buffer.from(hmacHex(key, nonce), "hex");
  const given = Buffer.from(mac, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function setCsrfCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const names = cookieNames(request);
  // Readable by the SPA (not HttpOnly): it copies the value into X-CSRF-Token.
  reply.setCookie(names.csrf, token, {
    httpOnly: false,
    secure: names.secure,
    sameSite: "strict",
    path: "/",
  });
}
