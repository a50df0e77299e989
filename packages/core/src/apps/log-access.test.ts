import { describe, expect, it } from "vitest";
import { LOG_VISIBILITIES, ROLES, type LogVisibility, type Role } from "@enclave/contracts";
import { mayChangeLogPolicy, mayReadLogs } from "./log-access.ts";

// Written out independently of the implementation: who reads an app's logs, per setting.
const READERS: Record<LogVisibility, Record<"creator" | "other", Role[]>> = {
  creator_and_admins: { creator: ["owner", "admin", "editor"], other: ["owner", "admin"] },
  editors: { creator: ["owner", "admin", "editor"], other: ["owner", "admin", "editor"] },
  owner_only: { creator: ["owner"], other: ["owner"] },
};

describe("mayReadLogs", () => {
  const cases = LOG_VISIBILITIES.flatMap((visibility) =>
    ROLES.flatMap((role) => (["creator", "other"] as const).map((who) => [visibility, role, who] as const)),
  );
  it.each(cases)("%s: %s (%s)", (visibility, role, who) => {
    const app = { createdBy: "creator-id", logVisibility: visibility };
    const reader = { accountId: who === "creator" ? "creator-id" : "someone-else", role };
    expect(mayReadLogs(reader, app)).toBe(READERS[visibility][who].includes(role));
  });

  it("an app whose creator is gone is no one's by creation", () => {
    const app = { createdBy: null, logVisibility: "creator_and_admins" as const };
    expect(mayReadLogs({ accountId: "x", role: "editor" }, app)).toBe(false);
    expect(mayReadLogs({ accountId: "x", role: null }, app)).toBe(false);
  });
});

describe("mayChangeLogPolicy", () => {
  it("owners always; admins unless the app is owner_only; nobody else", () => {
    for (const visibility of LOG_VISIBILITIES) {
      expect(mayChangeLogPolicy("owner", visibility)).toBe(true);
      expect(mayChangeLogPolicy("admin", visibility)).toBe(visibility !== "owner_only");
      for (const role of ["editor", "member", "dataset_operator", null] as const) {
        expect(mayChangeLogPolicy(role, visibility)).toBe(false);
      }
    }
  });
});
