import { APICallError } from "@ai-sdk/provider";
import { OutboundBlockedError } from "../net/guarded-fetch.ts";

/** Why a call to a model provider failed, in words safe to show anyone (never upstream text). */
export interface ProviderFailure {
  code:
    | "blocked_address"
    | "unresolvable"
    | "unauthorized"
    | "not_found"
    | "rate_limited"
    | "bad_request"
    | "timeout"
    | "refused"
    | "network_error"
    | "tls_error"
    | "invalid_response"
    | "upstream_error";
  message: string;
  /** The upstream HTTP status when there was one. */
  status?: number;
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  const queue = [err];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || out.includes(e)) continue;
    out.push(e);
    const o = e as { cause?: unknown; lastError?: unknown; errors?: unknown };
    queue.push(o.cause, o.lastError);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
  }
  return out;
}

function byStatus(status: number): ProviderFailure {
  if (status >= 200 && status < 300)
    return { code: "invalid_response", message: "the provider's answer could not be understood", status };
  if (status === 401 || status === 403)
    return { code: "unauthorized", message: "the provider refused the credentials", status };
  if (status === 404)
    return { code: "not_found", message: "the provider does not know this model or endpoint", status };
  if (status === 429)
    return { code: "rate_limited", message: "the provider is rate limiting requests", status };
  if (status === 408 || status === 504) return { code: "timeout", message: "the provider timed out", status };
  if (status >= 400 && status < 500)
    return { code: "bad_request", message: `the provider rejected the request (HTTP ${status})`, status };
  return { code: "upstream_error", message: `the provider answered with an error (HTTP ${status})`, status };
}

/**
 * Maps any error from an AI SDK call into a fixed category and message. Upstream bodies and
 * messages are never copied: providers echo API keys back ("Incorrect API key provided: sk-…").
 * Only our own SSRF refusal is quoted, scrubbed of the given secrets.
 */
export function classifyProviderError(err: unknown, secrets: string[] = []): ProviderFailure {
  const chain = causes(err);
  const blocked = chain.find((e) => e instanceof OutboundBlockedError) as OutboundBlockedError | undefined;
  if (blocked) {
    if (/^cannot resolve /.test(blocked.message))
      return { code: "unresolvable", message: scrub(blocked.message, secrets) };
    return { code: "blocked_address", message: scrub(`blocked address: ${blocked.message}`, secrets) };
  }
  const apiError = chain.find((e) => APICallError.isInstance(e)) as APICallError | undefined;
  if (apiError?.statusCode !== undefined) return byStatus(apiError.statusCode);
  for (const e of chain) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    const text = typeof message === "string" ? message : "";
    if (name === "AbortError" || name === "TimeoutError" || code === "ETIMEDOUT" || /timed out/i.test(text))
      return { code: "timeout", message: "the provider did not answer in time" };
    if (code === "ECONNREFUSED") return { code: "refused", message: "the provider refused the connection" };
    if (code === "ENOTFOUND" || code === "EAI_AGAIN")
      return { code: "unresolvable", message: "the provider's host name does not resolve" };
    if (typeof code === "string" && /^(CERT_|ERR_TLS|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY)/.test(code))
      return { code: "tls_error", message: "the provider's TLS certificate was not accepted" };
    if (typeof code === "string" && /^(ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(code))
      return { code: "network_error", message: "the connection to the provider failed" };
    if (
      name === "AI_JSONParseError" ||
      name === "AI_TypeValidationError" ||
      name === "AI_InvalidResponseDataError" ||
      name === "AI_NoContentGeneratedError" ||
      name === "AI_EmptyResponseBodyError"
    )
      return { code: "invalid_response", message: "the provider's answer could not be understood" };
  }
  return { code: "upstream_error", message: "the call to the provider failed" };
}

/** Removes every occurrence of the given secrets (and their masks' cores) from a text. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}
