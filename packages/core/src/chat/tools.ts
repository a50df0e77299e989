import { tool, type ToolSet } from "ai";
import { z } from "zod";
import type { BuiltinTool } from "@enclave/contracts";
import type { Ctx } from "../context/ctx.ts";
import { outboundFetch } from "../models/outbound.ts";
import { OutboundBlockedError } from "../net/guarded-fetch.ts";

/** Longest tool result handed back to the model (characters). */
const MAX_OBSERVATION = 8_000;
const HTTP_GET_TIMEOUT_MS = 10_000;
const HTTP_GET_MAX_BYTES = 256 * 1024;

/**
 * The built-in tools an agent app enabled. Tools run with the app's workspace ctx: `http_get`
 * goes through the workspace's SSRF-guarded client like every other outbound call.
 */
export function builtinTools(ctx: Ctx, enabled: readonly BuiltinTool[]): ToolSet {
  const tools: ToolSet = {};
  if (enabled.includes("current_time")) {
    tools.current_time = tool({
      description: "The current date and time, in UTC or an IANA time zone such as Asia/Tokyo.",
      inputSchema: z.object({ timezone: z.string().max(64).optional() }),
      execute: async ({ timezone }) => currentTime(timezone),
    });
  }
  if (enabled.includes("http_get")) {
    tools.http_get = tool({
      description: "Fetch a public web page or API over HTTP(S) GET and return its text (truncated).",
      inputSchema: z.object({ url: z.string().max(2048) }),
      execute: async ({ url }, { abortSignal }) => httpGet(ctx, url, abortSignal),
    });
  }
  return tools;
}

export function currentTime(timezone?: string): string {
  const now = new Date();
  const zone = timezone && timezone.length > 0 ? timezone : "UTC";
  try {
    const local = new Intl.DateTimeFormat("sv-SE", {
      timeZone: zone,
      dateStyle: "short",
      timeStyle: "medium",
    }).format(now);
    return `${local} (${zone}); UTC ${now.toISOString()}`;
  } catch {
    return `UTC ${now.toISOString()} (unknown time zone ${JSON.stringify(zone.slice(0, 64))})`;
  }
}

async function httpGet(ctx: Ctx, raw: string, signal?: AbortSignal): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "error: not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "error: only http and https URLs";
  const fetch = await outboundFetch(ctx);
  const timeout = AbortSignal.timeout(HTTP_GET_TIMEOUT_MS);
  try {
    const res = await fetch(url, {
      method: "GET",
      headers: { accept: "text/*, application/json;q=0.9, */*;q=0.1" },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const type = res.headers.get("content-type") ?? "";
    if (!/^(text\/|application\/(json|xml|[\w.+-]+\+(json|xml)))/i.test(type)) {
      await res.body?.cancel();
      return `HTTP ${res.status}; content type ${type.slice(0, 100) || "unknown"} is not text`;
    }
    const text = await readCapped(res, HTTP_GET_MAX_BYTES);
    return `HTTP ${res.status}\n${text.slice(0, MAX_OBSERVATION)}`;
  } catch (err) {
    if (err instanceof OutboundBlockedError) return `error: refused (${err.message})`;
    if (timeout.aborted) return "error: the request timed out";
    return "error: the request failed";
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks).subarray(0, maxBytes));
}
