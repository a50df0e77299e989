import type { LogVisibility, Role } from "@enclave/contracts";

/** Who is asking, as far as log visibility is concerned. */
export interface LogReader {
  accountId: string;
  role: Role | null;
}

/** The app's side of the decision. */
export interface LogPolicy {
  createdBy: string | null;
  logVisibility: LogVisibility;
}

/**
 * Whether a workspace member may read an app's conversation logs.
 * - owner: always;
 * - `creator_and_admins` (default): admins, and the app's creator if they still edit apps;
 * - `editors`: admins and every editor;
 * - `owner_only`: nobody else, not even an admin or the creator.
 * Members and dataset operators never read logs.
 */
export function mayReadLogs(reader: LogReader, app: LogPolicy): boolean {
  const { role } = reader;
  if (role === "owner") return true;
  if (role !== "admin" && role !== "editor") return false;
  switch (app.logVisibility) {
    case "owner_only":
      return false;
    case "editors":
      return true;
    case "creator_and_admins":
      return role === "admin" || (app.createdBy !== null && app.createdBy === reader.accountId);
  }
}

/**
 * Whether a member may change an app's privacy settings (log visibility, content retention,
 * retention days). Owners may; admins may unless the app is `owner_only` (otherwise an admin could
 * widen the setting and read what the owner restricted). Editors never: they edit apps, but who
 * may read other people's conversations is not their call.
 */
export function mayChangeLogPolicy(role: Role | null, current: LogVisibility): boolean {
  if (role === "owner") return true;
  return role === "admin" && current !== "owner_only";
}
