import { type ErrorCode, isErrorCode } from "@enclave/contracts";

/** A refused or failed console API call: the server's error code, status and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(status: number, code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const BASE = "/console/api";
const WRITES = new Set(["POST", "PATCH", "PUT", "DELETE"]);

const CONSOLE_CSRF = `${BASE}/csrf`;
// CSRF tokens by the endpoint that issued them (the console's, or one per web app), only in
// memory (and in the server's cookies); never in storage.
const csrfTokens = new Map<string, string>();

/**
 * Where the token for a write to `url` comes from: a web app's `/app-api/<code>/…` has its own
 * (its cookie may be embed-capable; the console's never is), everything else the console's.
 */
export function csrfEndpoint(url: string): string {
  const site = /^\/app-api\/([^/?#]+)\//.exec(url)?.[1];
  return site ? `/app-api/${site}/csrf` : CONSOLE_CSRF;
}

/** Fetches a fresh CSRF token (after a `csrf_failed` refusal, or on first use). */
export async function fetchCsrf(endpoint = CONSOLE_CSRF): Promise<string> {
  const res = await fetch(endpoint, {
    credentials: "same-origin",
    headers: { accept: "application/json" },
  });
  if (!res.ok) throw await toError(res);
  const body = (await res.json()) as { csrfToken?: unknown };
  if (typeof body.csrfToken !== "string") throw new ApiError(res.status, "internal_error", "no CSRF token");
  csrfTokens.set(endpoint, body.csrfToken);
  return body.csrfToken;
}

/** The CSRF token in memory, fetched on first use; for requests made outside api() (uploads). */
export async function csrf(endpoint = CONSOLE_CSRF): Promise<string> {
  return csrfTokens.get(endpoint) ?? (await fetchCsrf(endpoint));
}

async function toError(res: Response): Promise<ApiError> {
  let body: { code?: unknown; message?: unknown; details?: unknown } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // A proxy's HTML error page: keep the status only.
  }
  return errorFromBody(res.status, res.statusText, body);
}

/** Maps an error answer's parsed body to an ApiError. */
export function errorFromBody(
  status: number,
  statusText: string,
  body: { code?: unknown; message?: unknown; details?: unknown },
): ApiError {
  const res = { status, statusText };
  const code = isErrorCode(body.code) ? body.code : res.status >= 500 ? "internal_error" : "bad_request";
  const message = typeof body.message === "string" ? body.message : res.statusText;
  return new ApiError(res.status, code, message, body.details);
}

async function send(method: string, path: string, body: unknown, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["x-csrf-token"] = token;
  return fetch(`${BASE}${path}`, {
    method,
    credentials: "same-origin",
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/**
 * Calls the console API with the session cookie; writes carry the X-CSRF-Token header. A
 * `csrf_failed` answer (token rotated at login, or first call) refreshes the token and retries once.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const write = WRITES.has(method);
  const token = write ? await csrf() : null;
  let res = await send(method, path, body, token);
  if (write && res.status === 403) {
    const err = await toError(res.clone());
    if (err.code === "csrf_failed") res = await send(method, path, body, await fetchCsrf());
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get("content-type") ?? "";
  return (type.includes("json") ? await res.json() : await res.text()) as T;
}

export const get = <T>(path: string) => api<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}) => api<T>("POST", path, body);
export const patch = <T>(path: string, body: unknown) => api<T>("PATCH", path, body);
export const del = <T = void>(path: string) => api<T>("DELETE", path);

/** Builds a query string from the set fields only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * A write to any same-origin API path (console or `/app-api/…`) with the CSRF header of that
 * path's scope, retried once with a fresh token on `csrf_failed`; a refusal is an ApiError.
 */
export async function fetchWithCsrf(url: string, init: RequestInit & { headers?: Record<string, string> }) {
  const endpoint = csrfEndpoint(url);
  const open = (token: string) =>
    fetch(url, {
      ...init,
      credentials: "same-origin",
      headers: { accept: "application/json", ...init.headers, "x-csrf-token": token },
    });
  let res = await open(await csrf(endpoint));
  if (res.status === 403 && (await toError(res.clone())).code === "csrf_failed")
    res = await open(await fetchCsrf(endpoint));
  if (!res.ok) throw await toError(res);
  return res;
}

/** Reads a JSON answer of a non-console API (the web app's `/app-api/…`), errors as ApiError. */
export async function readJson<T>(res: Response): Promise<T> {
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * POSTs to a streaming endpoint (`response_mode: "streaming"`; console path unless absolute) and
 * returns the open response for readSse(); a refusal before the stream starts is an ApiError.
 */
export async function postStream(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetchWithCsrf(path.startsWith("/app-api/") ? path : `${BASE}${path}`, {
    method: "POST",
    headers: { accept: "text/event-stream", "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}
