import { describe, expect, it } from "vitest";
import { PERMISSIONS, ROLES, ROLE_PERMISSIONS, type Permission, type Role } from "@enclave/contracts";
import { requirePermission } from "./require-permission.ts";
import type { Actor, Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";

function ctxFor(actor: Actor, workspace: Ctx["workspace"] = { id: "w1" }): Ctx {
  return { actor, workspace } as Ctx;
}

function outcome(ctx: Ctx, permission: Permission): string {
  try {
    requirePermission(ctx, permission);
    return "allowed";
  } catch (err) {
    return err instanceof AppError ? err.code : "threw";
  }
}

// The expected matrix, written out independently of the implementation's table.
const EXPECTED: Record<Role, (p: Permission) => boolean> = {
  owner: (p) => p !== "system.admin" && p !== "app.invoke",
  admin: (p) => p !== "system.admin" && p !== "app.invoke" && p !== "workspace.transfer_ownership",
  editor: (p) =>
    [
      "account.self",
      "workspace.read",
      "member.read",
      "app.read",
      "app.create",
      "app.update",
      "app.delete",
      "model_provider.read",
      "dataset.read",
      "dataset.manage",
    ].includes(p),
  member: (p) => ["account.self", "workspace.read", "app.read", "dataset.read"].includes(p),
  dataset_operator: (p) => ["account.self", "workspace.read", "dataset.read", "dataset.manage"].includes(p),
};

describe("requirePermission", () => {
  it.each(ROLES.flatMap((role) => PERMISSIONS.map((permission) => [role, permission] as const)))(
    "%s → %s follows the role table",
    (role, permission) => {
      const ctx = ctxFor({ type: "user", accountId: "a", sessionId: "s", role });
      expect(outcome(ctx, permission)).toBe(EXPECTED[role](permission) ? "allowed" : "forbidden");
      expect(ROLE_PERMISSIONS[role].has(permission)).toBe(EXPECTED[role](permission));
    },
  );

  it("lets an app key or end user invoke its app and do nothing else", () => {
    const key = ctxFor({ type: "apiKey", keyId: "k", appId: "a" });
    const endUser = ctxFor({ type: "endUser", endUserId: "u", appId: "a" });
    for (const permission of PERMISSIONS) {
      const expected = permission === "app.invoke" ? "allowed" : "forbidden";
      expect(outcome(key, permission)).toBe(expected);
      expect(outcome(endUser, permission)).toBe(expected);
    }
    expect(outcome(ctxFor({ type: "apiKey", keyId: "k", appId: "a" }, null), "app.invoke")).toBe("forbidden");
  });

  it("lets a dataset key read and manage knowledge bases and nothing else", () => {
    const key = ctxFor({ type: "datasetKey", keyId: "k" });
    for (const permission of PERMISSIONS) {
      const expected =
        permission === "dataset.read" || permission === "dataset.manage" ? "allowed" : "forbidden";
      expect(outcome(key, permission)).toBe(expected);
    }
    expect(outcome(ctxFor({ type: "datasetKey", keyId: "k" }, null), "dataset.read")).toBe("forbidden");
  });

  it("denies anyone not acting as a workspace member", () => {
    expect(outcome(ctxFor({ type: "anonymous" }), "app.read")).toBe("unauthorized");
    expect(outcome(ctxFor({ type: "apiKey", keyId: "k", appId: "a" }), "app.read")).toBe("forbidden");
    expect(outcome(ctxFor({ type: "endUser", endUserId: "u", appId: "a" }), "app.read")).toBe("forbidden");
    expect(outcome(ctxFor({ type: "user", accountId: "a", sessionId: "s", role: null }), "app.read")).toBe(
      "forbidden",
    );
    expect(
      outcome(ctxFor({ type: "user", accountId: "a", sessionId: "s", role: "owner" }, null), "app.read"),
    ).toBe("forbidden");
  });

  it("lets the system actor through (jobs and maintenance)", () => {
    expect(outcome(ctxFor({ type: "system", name: "purge" }), "app.delete")).toBe("allowed");
  });
});
