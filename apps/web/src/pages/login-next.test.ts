import { describe, expect, it } from "vitest";
import { afterLogin } from "./LoginPage.tsx";
import { loginPath } from "./WebAppPage.tsx";

describe("sign-in return path", () => {
  it("returns to the web app that sent the visitor", () => {
    const code = "0123456789abcdef0123";
    expect(afterLogin(new URL(loginPath(code), "http://x").search)).toBe(`/app/${code}`);
  });

  it("never becomes an open redirect", () => {
    for (const next of [
      "//evil.example",
      "https://evil.example/app/0123456789abcdef0123",
      "/apps",
      "/app/x/../..",
      "javascript:alert(1)",
    ])
      expect(afterLogin(`?next=${encodeURIComponent(next)}`), next).toBe("/");
    expect(afterLogin("")).toBe("/");
  });
});
