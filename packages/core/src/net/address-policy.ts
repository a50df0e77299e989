import ipaddr from "ipaddr.js";

/**
 * Which addresses outbound requests may reach. Only ordinary public unicast addresses pass by
 * default; loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved and
 * IPv4-embedding IPv6 forms are refused unless an administrator allowlisted the host or a CIDR.
 */
export interface OutboundAllowlist {
  hosts: Set<string>;
  cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export function parseAllowlist(entries: string[]): OutboundAllowlist {
  const list: OutboundAllowlist = { hosts: new Set(), cidrs: [] };
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry.includes("/")) list.cidrs.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      list.cidrs.push([addr, addr.kind() === "ipv4" ? 32 : 128]);
    } else list.hosts.add(entry);
  }
  return list;
}

/** IPv4-mapped / -compatible IPv6 is judged as the IPv4 address it carries. */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const addr = ipaddr.parse(address);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

export function isPublicUnicast(address: string): boolean {
  const addr = normalise(address);
  return addr.range() === "unicast";
}

/** Parses CIDRs / single IPs (host names are ignored: a deny list is about addresses). */
export function parseCidrs(entries: string[]): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return parseAllowlist(entries).cidrs;
}

/** True when `address` (IPv4-mapped forms judged as IPv4) falls in one of `cidrs`. */
export function addressInCidrs(address: string, cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][]): boolean {
  const addr = normalise(address);
  return cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

export function addressAllowed(address: string, hostname: string, allowlist: OutboundAllowlist): boolean {
  if (allowlist.hosts.has(hostname.toLowerCase())) return true;
  const addr = normalise(address);
  for (const [net, bits] of allowlist.cidrs) {
    if (net.kind() === addr.kind() && addr.match(net, bits)) return true;
  }
  return isPublicUnicast(address);
}
