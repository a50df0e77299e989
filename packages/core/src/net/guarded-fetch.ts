import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AppError } from "../errors/app-error.ts";
import {
  addressAllowed,
  addressInCidrs,
  parseAllowlist,
  parseCidrs,
  type OutboundAllowlist,
} from "./address-policy.ts";

export type Resolver = (hostname: string) => Promise<string[]>;

export interface GuardedFetchOptions {
  /** Hosts, IPs or CIDRs an administrator allows although they are not public (a local Ollama). */
  allowlist?: string[];
  /** DNS resolution (tests inject a stub). Every answer is checked; the connection is pinned to one. */
  resolve?: Resolver;
  /**
   * CIDRs refused even when the allowlist would let them through (a workspace's own allowlist must
   * never open cloud metadata or link-local addresses, whatever its host entries resolve to).
   */
  deny?: string[];
  maxRedirects?: number;
  timeoutMs?: number;
  /**
   * Read a JSON response (application/json, +json) of up to this many bytes before resolving, and
   * hand it over as one buffer: the SDKs read such bodies whole anyway, and a web stream over a
   * Node stream cost a blocking chat call about a tenth of its CPU. A larger body streams on
   * from where the buffer stopped, so memory stays bounded by this. 0 (the default) streams all.
   */
  bufferJsonBytes?: number;
}

const defaultResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => a.address);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Why a URL may not be fetched: raised before any connection is made. */
export class OutboundBlockedError extends AppError {
  constructor(message: string) {
    super("forbidden", message);
  }
}

/**
 * The one way Enclave code reaches the network for user- or admin-supplied URLs. It parses the
 * URL with the WHATWG parser (so decimal, hex and octal IPv4 forms are normalised), resolves the
 * name, refuses the request if ANY answer is outside policy, connects to the address it checked
 * (no second lookup, so DNS rebinding cannot swap it), and repeats all of that for every redirect.
 * The result is a standard `fetch` function, usable by SDKs that accept one.
 */
export function createGuardedFetch(opts: GuardedFetchOptions = {}): typeof fetch {
  const allowlist = parseAllowlist(opts.allowlist ?? []);
  const deny = parseCidrs(opts.deny ?? []);
  const resolve = opts.resolve ?? defaultResolver;
  const maxRedirects = opts.maxRedirects ?? 3;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const bufferJsonBytes = opts.bufferJsonBytes ?? 0;

  const guarded = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    let method = (init.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    let body = init.body ?? null;
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    for (let hop = 0; ; hop++) {
      const address = await checkUrl(url, allowlist, deny, resolve);
      const res = await send(url, address, method, headers, body, init.signal ?? null, timeoutMs);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location || init.redirect === "manual")
        return toResponse(res, bufferJsonBytes);
      res.resume();
      if (init.redirect === "error")
        throw new OutboundBlockedError("redirects are not allowed for this request");
      if (hop >= maxRedirects) throw new OutboundBlockedError("too many redirects");
      url = new URL(location, url);
      if (
        res.statusCode === 303 ||
        ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")
      ) {
        method = "GET";
        body = null;
        headers.delete("content-type");
        headers.delete("content-length");
      }
      // Credentials meant for the first host never follow a redirect to another one.
      headers.delete("authorization");
      headers.delete("cookie");
    }
  };
  return guarded as typeof fetch;
}

async function checkUrl(
  url: URL,
  allowlist: OutboundAllowlist,
  deny: ReturnType<typeof parseCidrs>,
  resolve: Resolver,
): Promise<string> {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new OutboundBlockedError("only http and https URLs are allowed");
  if (url.username || url.password) throw new OutboundBlockedError("credentials in URLs are not allowed");
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(hostname) ? [hostname] : await resolve(hostname).catch(() => []);
  if (addresses.length === 0) throw new OutboundBlockedError(`cannot resolve ${hostname}`);
  for (const address of addresses) {
    if (deny.length > 0 && addressInCidrs(address, deny)) {
      throw new OutboundBlockedError(
        `${hostname} resolves to ${address}, a link-local or cloud metadata address, which cannot be reached`,
      );
    }
    if (!addressAllowed(address, hostname, allowlist)) {
      throw new OutboundBlockedError(
        `${hostname} resolves to ${address}, a private or reserved address: ask an administrator to allowlist it`,
      );
    }
  }
  return addresses[0]!;
}

function send(
  url: URL,
  address: string,
  method: string,
  headers: Headers,
  body: RequestInit["body"] | null,
  signal: AbortSignal | null,
  timeoutMs: number,
): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const family = isIP(address);
    const req = request(
      url,
      {
        method,
        headers: Object.fromEntries(headers),
        // Pin the connection to the address that passed the check.
        lookup: (_host, options, cb) => {
          if ((options as { all?: boolean }).all)
            (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
          else (cb as (e: null, a: string, f: number) => void)(null, address, family);
        },
        ...(url.protocol === "https:" ? { servername: url.hostname } : {}),
        signal: signal ?? undefined,
        timeout: timeoutMs,
      },
      resolvePromise,
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    if (body === null || body === undefined) req.end();
    else if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
    else if (body instanceof ArrayBuffer) req.end(Buffer.from(body));
    else if (body instanceof URLSearchParams) req.end(body.toString());
    else if (body instanceof ReadableStream) Readable.fromWeb(body as WebReadableStream).pipe(req);
    else reject(new Error("unsupported request body type"));
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

async function toResponse(res: IncomingMessage, bufferJsonBytes: number): Promise<Response> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else if (v !== undefined) headers.set(k, v);
  }
  const status = res.statusCode ?? 502;
  const init = { status, statusText: res.statusMessage ?? "", headers };
  if (status === 204 || status === 304) {
    res.resume();
    return new Response(null, init);
  }
  if (bufferJsonBytes > 0 && JSON_TYPE.test(res.headers["content-type"] ?? "")) {
    const { chunks, ended } = await readUpTo(res, bufferJsonBytes);
    if (ended) return new Response(Buffer.concat(chunks), init);
    const rest = Readable.from(
      (async function* () {
        yield* chunks;
        yield* res;
      })(),
    );
    return new Response(Readable.toWeb(rest) as ReadableStream<Uint8Array>, init);
  }
  return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, init);
}

/** Reads until the body ends or `limit` bytes are in; the stream is left paused after them. */
function readUpTo(res: IncomingMessage, limit: number): Promise<{ chunks: Buffer[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (ended: boolean) => {
      res.off("readable", onReadable);
      res.off("end", onEnd);
      res.off("error", onError);
      resolve({ chunks, ended });
    };
    const onReadable = () => {
      for (let chunk: Buffer | null; (chunk = res.read() as Buffer | null) !== null;) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= limit) return finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onError = (err: Error) => {
      res.off("readable", onReadable);
      res.off("end", onEnd);
      reject(err);
    };
    res.on("readable", onReadable);
    res.once("end", onEnd);
    res.once("error", onError);
  });
}
