import type { AppConfig, AppMode } from "@enclave/contracts";
import type { Ctx } from "../context/ctx.ts";

/** The published app a service API / web app request is served by. */
export interface ServingApp {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  mode: AppMode;
  icon: string;
  versionId: string;
  config: AppConfig;
  retainContent: boolean;
  limits: { rpm: number | null; rph: number | null; maxConcurrent: number | null };
}

/**
 * The published version of the ctx actor's app (an apiKey or endUser actor). Throws
 * `app_unavailable` when the app has no published version or the channel is switched off.
 */
export async function loadServingApp(_ctx: Ctx, _channel: "api" | "web"): Promise<ServingApp> {
  throw new Error("loadServingApp: not implemented yet (apps helper)");
}
