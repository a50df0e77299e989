import type { LanguageModel } from "ai";
import type { Ctx } from "../context/ctx.ts";

/** A chat model ready to call, with what is needed to account for it. */
export interface ResolvedChatModel {
  model: LanguageModel;
  providerId: string;
  providerKind: string;
  providerName: string;
  modelName: string;
  /** Per million tokens, when the provider's model entry has prices. */
  pricing: { inputPerMTok: number; outputPerMTok: number; currency: string } | null;
}

/**
 * Builds the AI SDK model for `settings` in the ctx workspace: decrypts the provider's credentials
 * and routes every call through the workspace's guarded fetch. Throws `provider_not_initialize`
 * when the provider or model is gone. No permission check: callers have authorised the app.
 */
export async function resolveChatModel(
  _ctx: Ctx,
  _settings: { providerId: string; name: string },
): Promise<ResolvedChatModel> {
  throw new Error("resolveChatModel: not implemented yet (models helper)");
}

/** The SSRF-guarded fetch for the ctx workspace: global allowlist + the workspace's entries. */
export async function outboundFetch(_ctx: Ctx): Promise<typeof fetch> {
  throw new Error("outboundFetch: not implemented yet (models helper)");
}
