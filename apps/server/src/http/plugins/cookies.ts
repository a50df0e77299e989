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

/**
 * Signed double-submit token: `<random>.<hmac>`. The signature stops a planted cookie from
 * working; `scope` (a web app's code) binds a token to the one app it was issued for.
 */
export function issueCsrfToken(key: Buffer, scope?: string): string {
  const nonce = randomToken(24);
  return `${nonce}.${hmacHex(key, signed(nonce, scope))}`;
}

function signed(nonce: string, scope: string | undefined): string {
  return scope === undefined ? nonce : `${scope}:${nonce}`;
}

export function csrfTokenValid(key: Buffer, token: string | undefined, scope?: string): boolean {
  if (!token) return false;
  const [nonce, mac, extra] = token.split(".");
  if (!nonce || !mac || extra !== undefined) return false;
  const expected = Buffer.from(hmacHex(key, signed(nonce, scope)), "hex");
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

/**
 * Attributes of a published web app's cookies (visit and CSRF). A site that opted into embedding
 * and is served over HTTPS gets `SameSite=None; Secure; Partitioned` (CHIPS): the browser sends
 * them inside a cross-site iframe, in a jar keyed to the embedding site. Everything else keeps
 * Strict; over plain HTTP SameSite=None is impossible (it needs Secure).
 */
export function webAppCookieAttributes(request: FastifyRequest, embeddable: boolean) {
  const secure = request.protocol === "https";
  return secure && embeddable
    ? ({ secure: true, sameSite: "none", partitioned: true } as const)
    : ({ secure, sameSite: "strict" } as const);
}

/** The CSRF cookie of one web app: its own name, so no app's token ever passes for another. */
export function webAppCsrfCookieName(request: FastifyRequest, code: string): string {
  return `${cookieNames(request).secure ? "__Host-" : ""}enclave_app_csrf_${code}`;
}

export function setWebAppCsrfCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  site: { code: string; embeddable: boolean },
  token: string,
): void {
  // HttpOnly: the page takes the token from /app-api/<code>/csrf's answer, never from the cookie.
  reply.setCookie(webAppCsrfCookieName(request, site.code), token, {
    httpOnly: true,
    path: "/",
    ...webAppCookieAttributes(request, site.embeddable),
  });
}
