import type { Ctx, Services } from "../context/ctx.ts";
import { createGuardedFetch } from "../net/guarded-fetch.ts";
import { workspaceDenyList } from "./allowlist-entry.ts";
import { workspaceAllowlist } from "./allowlist.ts";

// One guarded fetch per (outbound policy, workspace allowlist version): rebuilt only when the
// workspace's allowlist changes.
type Outbound = NonNullable<Services["outbound"]>;
const NO_OUTBOUND: Outbound = { allowlist: [] };
const fetches = new WeakMap<Outbound, Map<string, { version: number; fetch: typeof fetch }>>();
const globalFetches = new WeakMap<Outbound, typeof fetch>();

/** The SSRF-guarded fetch for the ctx workspace: global allowlist + the workspace's entries. */
export async function outboundFetch(ctx: Ctx): Promise<typeof fetch> {
  const outbound = ctx.services.outbound ?? NO_OUTBOUND;
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId) {
    let fetch = globalFetches.get(outbound);
    if (!fetch) {
      fetch = createGuardedFetch(guardOptions(outbound, []));
      globalFetches.set(outbound, fetch);
    }
    return fetch;
  }
  const { entries, version } = await workspaceAllowlist(ctx.db, workspaceId);
  let perWorkspace = fetches.get(outbound);
  if (!perWorkspace) {
    perWorkspace = new Map();
    fetches.set(outbound, perWorkspace);
  }
  const hit = perWorkspace.get(workspaceId);
  if (hit && hit.version === version) return hit.fetch;
  const fetch = createGuardedFetch(guardOptions(outbound, entries));
  perWorkspace.set(workspaceId, { version, fetch });
  return fetch;
}

function guardOptions(outbound: Outbound, workspaceEntries: string[]) {
  return {
    allowlist: [...outbound.allowlist, ...workspaceEntries],
    // A workspace's own entries never open link-local / metadata addresses.
    deny: workspaceEntries.length > 0 ? workspaceDenyList(outbound.allowlist) : [],
    ...(outbound.resolve ? { resolve: outbound.resolve } : {}),
    ...(outbound.timeoutMs ? { timeoutMs: outbound.timeoutMs } : {}),
    // Provider answers that are not streams are read whole by the SDKs anyway.
    bufferJsonBytes: 1 << 20,
  };
}
