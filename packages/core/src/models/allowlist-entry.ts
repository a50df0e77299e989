import ipaddr from "ipaddr.js";
import { AppError } from "../errors/app-error.ts";

/**
 * Addresses a workspace's allowlist can never open: link-local (where cloud metadata services
 * live) and the known metadata endpoints elsewhere. Only the deployment-wide OUTBOUND_ALLOWLIST,
 * set by the operator, may reach them (with a CIDR entry).
 */
export const WORKSPACE_DENY_CIDRS = [
  "169.254.0.0/16",
  "fe80::/10",
  "fd00:ec2::254/128", // AWS IMDS over IPv6
  "100.100.100.200/32", // Alibaba Cloud metadata
];

const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

// One or more DNS labels; underscores tolerated (internal names), no wildcards.
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** The narrowest prefixes an entry may use: a whole /8 (10.0.0.0/8) at most, never 0.0.0.0/0. */
const MIN_PREFIX = { ipv4: 8, ipv6: 8 } as const;

function invalid(message: string): AppError {
  return new AppError("validation_failed", message);
}

function overlaps(a: [ipaddr.IPv4 | ipaddr.IPv6, number], b: [ipaddr.IPv4 | ipaddr.IPv6, number]): boolean {
  if (a[0].kind() !== b[0].kind()) return false;
  return a[0].match(b[0], b[1]) || b[0].match(a[0], a[1]);
}

const DENY_PARSED = WORKSPACE_DENY_CIDRS.map((c) => ipaddr.parseCIDR(c));

/**
 * Checks and canonicalises a workspace allowlist entry: a host name, an IP address (any form the
 * URL parser accepts, e.g. `2130706433`, becomes dotted decimal) or a CIDR of at least /8.
 * Refuses wildcards, networks containing the unspecified address, and link-local/metadata ranges.
 */
export function normaliseAllowlistEntry(raw: string): string {
  const entry = raw.trim().toLowerCase().replace(/\.$/, "");
  if (!entry) throw invalid("the entry is empty");
  if (entry.includes("*")) throw invalid("wildcards are not allowed: list each host, IP or CIDR");
  let net: [ipaddr.IPv4 | ipaddr.IPv6, number];
  if (entry.includes("/")) {
    const [addr, bits] = entry.split("/");
    if (!addr || !bits || !/^\d{1,3}$/.test(bits) || !ipaddr.isValid(addr))
      throw invalid("not a valid CIDR (e.g. 10.0.0.0/8 or fd00::/8)");
    try {
      net = ipaddr.parseCIDR(`${ipaddr.process(addr).toString()}/${bits}`);
    } catch {
      throw invalid("not a valid CIDR (e.g. 10.0.0.0/8 or fd00::/8)");
    }
  } else if (ipaddr.isValid(entry)) {
    const addr = ipaddr.process(entry);
    net = [addr, addr.kind() === "ipv4" ? 32 : 128];
  } else {
    if (!HOSTNAME.test(entry)) throw invalid("not a valid host name, IP address or CIDR");
    if (METADATA_HOSTS.has(entry)) throw invalid("cloud metadata hosts cannot be allowlisted");
    return entry;
  }
  const [addr, bits] = net;
  const kind = addr.kind();
  if (bits < MIN_PREFIX[kind]) throw invalid(`CIDR prefixes shorter than /${MIN_PREFIX[kind]} are too broad`);
  const unspecified: [ipaddr.IPv4 | ipaddr.IPv6, number] =
    kind === "ipv4" ? [ipaddr.parse("0.0.0.0"), 32] : [ipaddr.parse("::"), 128];
  if (overlaps(net, unspecified))
    throw invalid("the unspecified address (0.0.0.0 or ::) cannot be allowlisted");
  // An entry inside a deny range is refused outright; one that merely contains a deny range
  // (fd00::/8 holds AWS's fd00:ec2::254) is fine: the deny list still wins at connection time.
  if (DENY_PARSED.some(([d, dBits]) => d.kind() === kind && bits >= dBits && addr.match(d, dBits))) {
    throw invalid("link-local and cloud metadata addresses cannot be allowlisted by a workspace");
  }
  // Canonical network form: host bits cleared for CIDRs, plain address for single IPs.
  if (bits === (kind === "ipv4" ? 32 : 128)) return addr.toString();
  const network =
    kind === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

/**
 * The deny list for a workspace's fetch: WORKSPACE_DENY_CIDRS minus the ranges the operator
 * opened on purpose in the deployment-wide allowlist (by CIDR or IP).
 */
export function workspaceDenyList(deploymentAllowlist: string[]): string[] {
  const opened: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of deploymentAllowlist) {
    const e = raw.trim().toLowerCase();
    try {
      if (e.includes("/")) opened.push(ipaddr.parseCIDR(e));
      else if (ipaddr.isValid(e)) {
        const a = ipaddr.process(e);
        opened.push([a, a.kind() === "ipv4" ? 32 : 128]);
      }
    } catch {
      // not an address entry
    }
  }
  return WORKSPACE_DENY_CIDRS.filter((_, i) => !opened.some((o) => overlaps(o, DENY_PARSED[i]!)));
}
