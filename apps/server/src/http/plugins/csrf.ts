import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { isSiteCode } from "@enclave/contracts";
import { AppError } from "@enclave/core";
import { csrfTokenValid, readCookie, webAppCsrfCookieName } from "./cookies.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface CsrfKeys {
  /** Signs the console's enclave_csrf tokens. */
  console: Buffer;
  /** Signs the web apps' tokens, each bound to its app's code. */
  webApp: Buffer;
}

function sameValue(header: unknown, cookie: string | undefined): cookie is string {
  return (
    typeof header === "string" &&
    cookie !== undefined &&
    header.length === cookie.length &&
    timingSafeEqual(Buffer.from(header), Buffer.from(cookie))
  );
}

/** The console's check: X-CSRF-Token equals the signed enclave_csrf cookie. */
function consoleOk(request: FastifyRequest, key: Buffer): boolean {
  const cookie = readCookie(request, "csrf");
  return sameValue(request.headers["x-csrf-token"], cookie) && csrfTokenValid(key, cookie);
}

/**
 * A web app's check: X-CSRF-Token equals that app's own signed cookie. Its cookie may be
 * SameSite=None (embedding), so this header — which another site can neither read nor set
 * without a CORS preflight we never grant — is what stops cross-site writes.
 */
function webAppOk(request: FastifyRequest, key: Buffer): boolean {
  const code = (request.params as { code?: unknown } | undefined)?.code;
  if (!isSiteCode(code)) return false;
  const cookie = request.cookies[webAppCsrfCookieName(request, code)];
  return sameValue(request.headers["x-csrf-token"], cookie) && csrfTokenValid(key, cookie, code);
}

/**
 * Every state-changing request of the console (login and setup included: login CSRF) and of the
 * published web apps must carry an X-CSRF-Token header equal to its signed double-submit cookie:
 * /console/api/csrf's for the console, /app-api/<code>/csrf's for a web app. Runs before the body
 * is parsed.
 */
export function registerCsrf(app: FastifyInstance, keys: CsrfKeys): void {
  app.addHook("onRequest", async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    // No route matched: the not-found handler answers 404 and changes nothing, so there is
    // nothing to protect (and a 403 csrf_failed would misname the problem).
    if (request.routeOptions.url === undefined) return;
    if (request.url.startsWith("/console/api/") && !consoleOk(request, keys.console))
      throw new AppError("csrf_failed", "missing or invalid CSRF token: fetch /console/api/csrf first");
    if (request.url.startsWith("/app-api/") && !webAppOk(request, keys.webApp))
      throw new AppError("csrf_failed", "missing or invalid CSRF token: fetch /app-api/<code>/csrf first");
  });
}
