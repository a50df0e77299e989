import { describe, expect, it } from "vitest";
import { createTestApp } from "./helpers.ts";
import { setupOwner } from "./identity-world.ts";

// Deterministic pseudo-random generator, so a failure reproduces.
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function randomValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() > 0.5;
    case 2:
      return [0, -1, 1e308, -0.5, Number.MAX_SAFE_INTEGER + 2][Math.floor(next() * 5)];
    case 3:
      return [
        "",
        "a".repeat(5000),
        "\u0000\u202e<script>",
        "../../etc/passwd",
        "' OR 1=1 --",
        "💥".repeat(50),
      ][Math.floor(next() * 6)];
    case 4:
      return "00000000-0000-7000-8000-000000000000";
    case 5:
      return { __proto__: { admin: true }, constructor: { prototype: { x: 1 } } };
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const keys = [
        "email",
        "password",
        "role",
        "name",
        "code",
        "token",
        "status",
        "memberId",
        "mfaPolicy",
        "recoveryCode",
        "workspaceId",
        "x",
      ];
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < 1 + Math.floor(next() * 4); i++)
        obj[keys[Math.floor(next() * keys.length)]!] = randomValue(next, depth + 1);
      return obj;
    }
  }
}

/** SECURITY.md row 13: no input, however malformed, makes the server answer 5xx. */
describe("fuzzed bodies", () => {
  it("never produce a 5xx on any state-changing route, signed in or not", async () => {
    const t = await createTestApp();
    try {
      const { owner } = await setupOwner(t);
      const next = rng(42);
      const routes = t.app.registeredRoutes.filter((r) =>
        ["POST", "PUT", "PATCH", "DELETE"].includes(r.method),
      );
      expect(routes.length).toBeGreaterThan(10);
      const failures: string[] = [];
      for (const route of routes) {
        for (let i = 0; i < 12; i++) {
          const url = route.url
            .replace(":id", i % 2 ? "not-a-uuid" : "00000000-0000-7000-8000-000000000000")
            .replace(":token", i % 2 ? "x" : "y".repeat(43));
          const body = i === 0 ? "{not json" : JSON.stringify(randomValue(next));
          const res = await owner.request(route.method as "POST", url, body, {
            headers: { "content-type": "application/json" },
          });
          if (res.statusCode >= 500)
            failures.push(`${route.method} ${url} ${body.slice(0, 80)} → ${res.statusCode} ${res.body}`);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
