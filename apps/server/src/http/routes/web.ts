import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isSiteCode } from "@enclave/contracts";
import { AppError, findSite } from "@enclave/core";

/** Where `vite build` writes the console (apps/web/dist), resolved from this file. */
export const DEFAULT_WEB_DIST = join(import.meta.dirname, "..", "..", "..", "..", "web", "dist");

// Paths that belong to the API: an unknown one is a JSON 404, never the SPA's index.html.
const API_PREFIXES = ["/console/api/", "/v1/", "/app-api/", "/healthz/", "/readyz/"];
const API_EXACT = new Set(["/console/api", "/v1", "/app-api", "/healthz", "/readyz"]);

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// Vite puts content-hashed files under assets/: a new build gets new names, so they never change.
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

interface StaticFile {
  body: Buffer;
  type: string;
  cache: string;
}

/**
 * Reads the built bundle once into memory. Only files found here can ever be served, so no
 * request path reaches the file system (no traversal). A missing or half-written dist (a build
 * running beside a test) yields an empty bundle instead of failing startup.
 */
export function loadBundle(dist: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = readdirSync(dist, { recursive: true, encoding: "utf8" });
  } catch {
    return files;
  }
  for (const name of names) {
    const full = join(dist, name);
    try {
      if (!statSync(full).isFile()) continue;
      const path = "/" + relative(dist, full).split(sep).join("/");
      files.set(path, {
        body: readFileSync(full),
        type: TYPES[extname(name).toLowerCase()] ?? "application/octet-stream",
        cache: path.startsWith("/assets/") ? IMMUTABLE : REVALIDATE,
      });
    } catch {
      continue;
    }
  }
  return files;
}

function isApiPath(path: string): boolean {
  return API_EXACT.has(path) || API_PREFIXES.some((p) => path.startsWith(p));
}

function sendFile(reply: FastifyReply, file: StaticFile) {
  return reply.type(file.type).header("cache-control", file.cache).send(file.body);
}

const WEB_APP_PAGE = /^\/app\/([^/]+)\/?$/;

/**
 * A published web app's page may be framed by the origins its owner listed; every other page
 * (and an app without a list) keeps helmet's `frame-ancestors 'none'`. The origins were
 * validated as bare https origins when saved, so they are safe to write into the header.
 */
async function allowFramingByListedOrigins(request: FastifyRequest, reply: FastifyReply, path: string) {
  const code = WEB_APP_PAGE.exec(path)?.[1];
  if (!isSiteCode(code)) return;
  const origins = await findSite(request.ctx, code).then(
    (site) => site.embedOrigins,
    () => [],
  );
  if (origins.length === 0) return;
  const csp = String(reply.getHeader("content-security-policy") ?? "");
  reply.header(
    "content-security-policy",
    csp.replace("frame-ancestors 'none'", `frame-ancestors ${origins.join(" ")}`),
  );
  reply.removeHeader("x-frame-options");
}

/**
 * Serves the console SPA: its files by exact path, and index.html for any other GET that is not
 * an API path, so client-side routes survive a reload. Helmet's CSP applies unchanged.
 */
export function webRoutes(opts: { distDir?: string | undefined } = {}) {
  return async (app: FastifyInstance) => {
    const bundle = loadBundle(opts.distDir ?? DEFAULT_WEB_DIST);
    const index = bundle.get("/index.html");

    app.get("/*", { config: { public: true } }, async (request, reply) => {
      const path = request.url.split("?")[0] ?? "/";
      if (isApiPath(path)) throw new AppError("not_found", "route not found");
      const file = bundle.get(path);
      if (file) return sendFile(reply, file);
      // A missing asset is a 404, not an HTML page the browser would try to run as script.
      if (extname(path) !== "" || !index) {
        throw new AppError(
          "not_found",
          index ? "file not found" : "the web console is not built: run `npm run build:web`",
        );
      }
      await allowFramingByListedOrigins(request, reply, path);
      return sendFile(reply, { ...index, cache: REVALIDATE });
    });
  };
}
