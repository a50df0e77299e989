// A console API client for tests: keeps cookies like a browser and sends the CSRF header.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export interface ClientOptions {
  remoteAddress?: string;
  headers?: Record<string, string>;
}

export class ConsoleClient {
  readonly app: FastifyInstance;
  readonly cookies = new Map<string, string>();
  remoteAddress: string;
  headers: Record<string, string>;

  constructor(app: FastifyInstance, opts: ClientOptions = {}) {
    this.app = app;
    this.remoteAddress = opts.remoteAddress ?? "127.0.0.1";
    this.headers = opts.headers ?? {};
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** Stores Set-Cookie values the way a browser would (Max-Age=0 / past Expires deletes). */
  absorb(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; expires?: Date; maxAge?: number }[]) {
      const expired = c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now());
      if (expired || c.value === "") this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  async request(
    method: InjectOptions["method"],
    url: string,
    body?: unknown,
    opts: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...this.headers, ...opts.headers };
    const cookie = this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    // A web app's writes carry its own token (/app-api/<code>/csrf), the console's the console's.
    const site = /^\/app-api\/([^/?]+)\//.exec(url)?.[1];
    const csrfName = site ? `enclave_app_csrf_${site}` : "enclave_csrf";
    const csrfCookie = [...this.cookies].find(([k]) => k.replace(/^__Host-/, "") === csrfName);
    if (opts.csrf !== false && csrfCookie && method !== "GET") headers["x-csrf-token"] = csrfCookie[1];
    const res = await this.app.inject({
      method,
      url,
      headers,
      remoteAddress: this.remoteAddress,
      ...(body !== undefined ? { payload: body as InjectOptions["payload"] } : {}),
    });
    this.absorb(res);
    return res;
  }

  get(url: string) {
    return this.request("GET", url);
  }
  post(url: string, body?: unknown, opts?: { csrf?: boolean }) {
    return this.request("POST", url, body ?? {}, opts);
  }
  patch(url: string, body?: unknown) {
    return this.request("PATCH", url, body ?? {});
  }
  delete(url: string) {
    return this.request("DELETE", url);
  }

  /** Fetches a CSRF token (sets the cookie). */
  async csrf(): Promise<string> {
    const res = await this.get("/console/api/csrf");
    return (res.json() as { csrfToken: string }).csrfToken;
  }

  /** Fetches a web app's CSRF token (sets that app's cookie). */
  async appCsrf(code: string): Promise<string> {
    const res = await this.get(`/app-api/${code}/csrf`);
    return (res.json() as { csrfToken: string }).csrfToken;
  }

  async login(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.csrf();
    return this.post("/console/api/login", { email, password });
  }
}

export async function readSetupToken(dataDir: string): Promise<string> {
  return (await readFile(join(dataDir, "setup-token"), "utf8")).trim();
}
