import type { Ctx } from "../context/ctx.ts";

/** Who an `Authorization: Bearer app-…` header turned out to be. */
export interface AppKeyAuth {
  keyId: string;
  appId: string;
  workspaceId: string;
}

/** Looks a service API key up by its hash; null when unknown or revoked. Touches last_used_at (≤1/min). */
export async function authenticateAppKey(_ctx: Ctx, _token: string): Promise<AppKeyAuth | null> {
  throw new Error("authenticateAppKey: not implemented yet (apps helper)");
}
