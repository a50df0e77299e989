import { describe, expect, it } from "vitest";
import { isSensitiveKey, redactDeep } from "./redact.ts";

describe("redactDeep", () => {
  it("masks values under secret-naming keys at any depth, and nothing else", () => {
    const input = {
      email: "a@example.com",
      password: "p",
      headers: { authorization: "Bearer x", Cookie: "c", "x-api-key": "k" },
      list: [{ clientSecret: "s" }, { name: "n" }],
      provider: { apiKey: "sk", api_key: "sk2", baseUrl: "http://x" },
      secretKey: "sk3",
      keyId: "kid-1",
    };
    expect(redactDeep(input)).toEqual({
      email: "a@example.com",
      password: "[REDACTED]",
      headers: { authorization: "[REDACTED]", Cookie: "[REDACTED]", "x-api-key": "[REDACTED]" },
      list: [{ clientSecret: "[REDACTED]" }, { name: "n" }],
      provider: { apiKey: "[REDACTED]", api_key: "[REDACTED]", baseUrl: "http://x" },
      secretKey: "[REDACTED]",
      keyId: "kid-1",
    });
  });

  it("does not mutate its input", () => {
    const input = { password: "p" };
    redactDeep(input);
    expect(input.password).toBe("p");
  });

  it.each(["token", "accessToken", "refresh_token", "totpSecret", "recoveryCodes", "privateKey", "key"])(
    "%s is sensitive",
    (key) => expect(isSensitiveKey(key)).toBe(true),
  );
  it.each(["name", "email", "monkey", "keyboardLayout", "requestId", "keyId"])("%s is not", (key) =>
    expect(isSensitiveKey(key)).toBe(false),
  );
});
