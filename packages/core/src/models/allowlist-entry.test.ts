import { describe, expect, it } from "vitest";
import { AppError } from "../errors/app-error.ts";
import { normaliseAllowlistEntry, WORKSPACE_DENY_CIDRS, workspaceDenyList } from "./allowlist-entry.ts";

describe("workspace allowlist entries", () => {
  it.each([
    ["Ollama.Internal.", "ollama.internal"],
    ["gpu-box_1.lan", "gpu-box_1.lan"],
    ["127.0.0.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"], // the URL parser reads it the same way
    ["0x0a000001", "10.0.0.1"],
    ["::ffff:10.0.0.1", "10.0.0.1"], // judged as the IPv4 it carries, like the guard does
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["172.16.0.0/12", "172.16.0.0/12"],
    ["FD00::/8", "fd00::/8"], // holds AWS's fd00:ec2::254, which the deny list still refuses
    ["fd12:3456::1", "fd12:3456::1"],
  ])("accepts %s as %s", (raw, canonical) => {
    expect(normaliseAllowlistEntry(raw)).toBe(canonical);
  });

  it.each([
    "",
    "*",
    "*.corp.example",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/7", // broader than /8
    "fc00::/7",
    "0.0.0.0",
    "::",
    "0.0.0.0/8", // holds the unspecified address
    "169.254.169.254",
    "169.254.0.0/16",
    "fe80::1",
    "fd00:ec2::254",
    "100.100.100.200",
    "metadata.google.internal",
    "http://10.0.0.1/",
    "host name",
    "10.0.0.1/33",
    "10.0.0.1/abc",
    "-bad.example",
  ])("refuses %j", (raw) => {
    expect(() => normaliseAllowlistEntry(raw)).toThrow(AppError);
  });

  it("the deployment allowlist can open deny ranges on purpose, by CIDR or IP", () => {
    expect(workspaceDenyList([])).toEqual(WORKSPACE_DENY_CIDRS);
    expect(workspaceDenyList(["169.254.169.254", "corp.example"])).not.toContain("169.254.0.0/16");
    expect(workspaceDenyList(["10.0.0.0/8"])).toEqual(WORKSPACE_DENY_CIDRS);
  });
});
