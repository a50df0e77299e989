/**
 * Roles and what each may do: the one table the whole platform consults.
 * Deny by default: a permission not listed for a role is refused.
 */
export const ROLES = ["owner", "admin", "editor", "member", "dataset_operator"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Your own account, sessions and MFA: every signed-in member has it. */
  "account.self",
  "workspace.read",
  "workspace.update",
  "workspace.transfer_ownership",
  "member.read",
  "member.invite",
  "member.update_role",
  "member.remove",
  "member.unlock",
  "app.read",
  "app.create",
  "app.update",
  "app.delete",
  "app.logs.read",
  /** Calling a published app: held only by service API keys (and, later, web app end users). */
  "app.invoke",
  "model_provider.read",
  "model_provider.manage",
  "dataset.read",
  "dataset.manage",
  "audit.read",
  "system.admin",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ALL: readonly Permission[] = PERMISSIONS.filter((p) => p !== "system.admin" && p !== "app.invoke");

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(ALL),
  admin: new Set(ALL.filter((p) => p !== "workspace.transfer_ownership")),
  editor: new Set<Permission>([
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
  ]),
  member: new Set<Permission>(["account.self", "workspace.read", "app.read", "dataset.read"]),
  dataset_operator: new Set<Permission>(["account.self", "workspace.read", "dataset.read", "dataset.manage"]),
};

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && (PERMISSIONS as readonly string[]).includes(value);
}
