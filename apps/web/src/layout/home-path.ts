import { roleHasPermission, type Role } from "@enclave/contracts";

/** Where a signed-in member lands: apps if the role may read them, else knowledge, else the account page. */
export function homePath(role: Role | null | undefined): string {
  if (role && roleHasPermission(role, "app.read")) return "/apps";
  if (role && roleHasPermission(role, "dataset.read")) return "/knowledge";
  return "/account";
}
