import { describe, expect, it } from "vitest";
import { APICallError } from "@ai-sdk/provider";
import { OutboundBlockedError } from "../net/guarded-fetch.ts";
import { classifyProviderError, scrub } from "./provider-errors.ts";

const KEY = "sk-live-0123456789abcdef";

function apiError(statusCode: number) {
  return new APICallError({
    message: `Incorrect API key provided: ${KEY}`,
    url: "https://api.example/v1/chat/completions",
    requestBodyValues: {},
    statusCode,
    responseBody: `{"error":{"message":"Incorrect API key provided: ${KEY}"}}`,
  });
}

describe("classifyProviderError", () => {
  it.each([
    [401, "unauthorized"],
    [403, "unauthorized"],
    [404, "not_found"],
    [429, "rate_limited"],
    [400, "bad_request"],
    [500, "upstream_error"],
    [503, "upstream_error"],
    [504, "timeout"],
    [200, "invalid_response"],
  ])("HTTP %i → %s, never the upstream text", (status, code) => {
    const failure = classifyProviderError(apiError(status), [KEY]);
    expect(failure.code).toBe(code);
    expect(JSON.stringify(failure)).not.toContain(KEY);
    expect(failure.message).not.toMatch(/Incorrect/);
  });

  it("finds the cause through retry wrappers", () => {
    const retry = Object.assign(new Error("Failed after 3 attempts"), {
      name: "AI_RetryError",
      lastError: apiError(401),
      errors: [apiError(500), apiError(401)],
    });
    expect(classifyProviderError(retry).code).toBe("unauthorized");
  });

  it("names an SSRF refusal clearly and scrubs secrets from it", () => {
    const err = new Error("fetch failed", {
      cause: new OutboundBlockedError(`x resolves to 10.0.0.1 ${KEY}`),
    });
    const failure = classifyProviderError(err, [KEY]);
    expect(failure.code).toBe("blocked_address");
    expect(failure.message).toMatch(/^blocked address: x resolves to 10\.0\.0\.1/);
    expect(failure.message).not.toContain(KEY);
    expect(classifyProviderError(new OutboundBlockedError("cannot resolve nowhere.invalid")).code).toBe(
      "unresolvable",
    );
  });

  it.each([
    [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }), "refused"],
    [Object.assign(new Error("x"), { name: "TimeoutError" }), "timeout"],
    [new Error("request timed out"), "timeout"],
    [Object.assign(new Error("x"), { code: "ENOTFOUND" }), "unresolvable"],
    [Object.assign(new Error("x"), { code: "CERT_HAS_EXPIRED" }), "tls_error"],
    [Object.assign(new Error("x"), { code: "ECONNRESET" }), "network_error"],
    [Object.assign(new Error(`bad json ${KEY}`), { name: "AI_JSONParseError" }), "invalid_response"],
    [new Error(`something odd ${KEY}`), "upstream_error"],
  ])("%s → %s", (err, code) => {
    const failure = classifyProviderError(err, [KEY]);
    expect(failure.code).toBe(code);
    expect(failure.message).not.toContain(KEY);
  });

  it("scrub removes every occurrence", () => {
    expect(scrub(`a ${KEY} b ${KEY}`, [KEY, "ab"])).toBe("a [redacted] b [redacted]");
  });
});
