import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { AppError } from "@enclave/core";
import { csrfTokenValid, readCookie } from "./cookies.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// The console and the published web apps: both are driven by cookies from a browser.
const PROTECTED_PREFIXES = ["/console/api/", "/app-api/"];

/**
 * Every state-changing console request — login and setup included (login CSRF) — must carry an
 * X-CSRF-Token header equal to the signed enclave_csrf cookie. Runs before the body is parsed.
 */
export function registerCsrf(app: FastifyInstance, key: Buffer): void {
  app.addHook("onRequest", async (request) => {
    if (SAFE_METHODS.has(request.method) || !PROTECTED_PREFIXES.some((p) => request.url.startsWith(p)))
      return;
    const header = request.headers["x-csrf-token"];
    const cookie = readCookie(request, "csrf");
    const ok =
      typeof header === "string" &&
      cookie !== undefined &&
      header.length === cookie.length &&
      timingSafeEqual(Buffer.from(header), Buffer.from(cookie)) &&
      csrfTokenValid(key, cookie);
    if (!ok)
      throw new AppError("csrf_failed", "missing or invalid CSRF token: fetch /console/api/csrf first");
  });
}
