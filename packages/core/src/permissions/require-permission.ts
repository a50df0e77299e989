import { roleHasPermission, type Permission } from "@enclave/contracts";
import { AppError } from "../errors/app-error.ts";
import type { Ctx } from "../context/ctx.ts";

/**
 * Throws unless the actor may do `permission` in the current workspace. Deny by default:
 * only a workspace member whose role grants it, or the system itself, passes.
 */
export function requirePermission(ctx: Ctx, permission: Permission): void {
  const { actor } = ctx;
  if (actor.type === "system") return;
  if (actor.type === "anonymous") throw new AppError("unauthorized", "authentication required");
  // An app key or end user may call its one app and nothing else.
  if (actor.type === "apiKey" || actor.type === "endUser") {
    if (permission === "app.invoke" && ctx.workspace) return;
    throw new AppError("forbidden", "you do not have permission to do this");
  }
  // A dataset key reads and manages the workspace's knowledge bases and nothing else.
  if (actor.type === "datasetKey") {
    if ((permission === "dataset.read" || permission === "dataset.manage") && ctx.workspace) return;
    throw new AppError("forbidden", "you do not have permission to do this");
  }
  if (actor.type !== "user" || !ctx.workspace || !actor.role) {
    throw new AppError("forbidden", "you do not have permission to do this");
  }
  if (!roleHasPermission(actor.role, permission)) {
    throw new AppError("forbidden", "you do not have permission to do this");
  }
}

export function hasPermission(ctx: Ctx, permission: Permission): boolean {
  try {
    requirePermission(ctx, permission);
    return true;
  } catch {
    return false;
  }
}
