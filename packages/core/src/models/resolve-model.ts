import { createDownload, type EmbeddingModel, type LanguageModel } from "ai";
import type { RerankingModelV4 } from "@ai-sdk/provider";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { outboundFetch } from "./outbound.ts";
import { loadEntry, sdkFor } from "./provider-cache.ts";
import type { SdkProvider } from "./provider-factory.ts";

export { outboundFetch };

/** Largest file the SDK may download for a prompt (an image or document part given by URL). */
const DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024;

/** A chat model ready to call, with what is needed to account for it. */
export interface ResolvedChatModel {
  model: LanguageModel;
  providerId: string;
  providerKind: string;
  providerName: string;
  modelName: string;
  /** Per million tokens, when the provider's model entry has prices. */
  pricing: { inputPerMTok: number; outputPerMTok: number; currency: string } | null;
  /**
   * Pass as `experimental_download` to generateText/streamText: file URLs in prompts the model
   * cannot take by URL are then fetched through the guarded client, not the SDK's global fetch.
   */
  download: ReturnType<typeof createDownload>;
}

/** An embedding model ready to call (for knowledge bases). */
export interface ResolvedEmbeddingModel {
  model: EmbeddingModel;
  providerId: string;
  providerKind: string;
  modelName: string;
}

function notInitialised(message: string): AppError {
  return new AppError("provider_not_initialize", message);
}

const downloads = new WeakMap<typeof fetch, ReturnType<typeof createDownload>>();

// Building an SDK model object is not free (the OpenAI-compatible one compiles its stream schemas
// in its constructor): one per (provider instance, model name), rebuilt when the provider is.
const chatModels = new WeakMap<SdkProvider, Map<string, LanguageModel>>();

function chatModelOf(provider: SdkProvider, name: string): LanguageModel {
  let models = chatModels.get(provider);
  if (!models) {
    models = new Map();
    chatModels.set(provider, models);
  }
  let model = models.get(name);
  if (!model) {
    model = provider.chat(name);
    models.set(name, model);
  }
  return model;
}

function guardedDownload(fetch: typeof globalThis.fetch): ReturnType<typeof createDownload> {
  let download = downloads.get(fetch);
  if (!download) {
    download = createDownload({ fetch, maxBytes: DOWNLOAD_MAX_BYTES });
    downloads.set(fetch, download);
  }
  return download;
}

/**
 * Builds the AI SDK model for `settings` in the ctx workspace: decrypts the provider's credentials
 * and routes every call through the workspace's guarded fetch. Throws `provider_not_initialize`
 * when the provider or model is gone. No permission check: callers have authorised the app.
 */
export async function resolveChatModel(
  ctx: Ctx,
  settings: { providerId: string; name: string },
): Promise<ResolvedChatModel> {
  const entry = await loadEntry(ctx, settings.providerId);
  if (!entry) throw notInitialised("the model provider is not configured in this workspace");
  const { config } = entry;
  const listed = config.models.find((m) => m.name === settings.name && m.type === "llm");
  if (config.models.length > 0 && !listed) {
    throw notInitialised(`model ${settings.name} is not one of this provider's chat models`);
  }
  const provider = await sdkFor(ctx, entry);
  const pricing =
    listed && (listed.inputPricePerMTok !== undefined || listed.outputPricePerMTok !== undefined)
      ? {
          inputPerMTok: listed.inputPricePerMTok ?? 0,
          outputPerMTok: listed.outputPricePerMTok ?? 0,
          currency: listed.currency,
        }
      : null;
  return {
    model: chatModelOf(provider, settings.name),
    providerId: config.id,
    providerKind: config.kind,
    providerName: config.name,
    modelName: settings.name,
    pricing,
    download: guardedDownload(await outboundFetch(ctx)),
  };
}

/** Like resolveChatModel, for a text-embedding model of the provider. */
export async function resolveEmbeddingModel(
  ctx: Ctx,
  settings: { providerId: string; name: string },
): Promise<ResolvedEmbeddingModel> {
  const entry = await loadEntry(ctx, settings.providerId);
  if (!entry) throw notInitialised("the model provider is not configured in this workspace");
  const { config } = entry;
  const listed = config.models.some((m) => m.name === settings.name && m.type === "text-embedding");
  if (config.models.length > 0 && !listed) {
    throw notInitialised(`model ${settings.name} is not one of this provider's embedding models`);
  }
  const provider = await sdkFor(ctx, entry);
  return {
    model: provider.embedding(settings.name),
    providerId: config.id,
    providerKind: config.kind,
    modelName: settings.name,
  };
}

/** Resolves a rerank model of a workspace provider (listed with type "rerank" when models are listed). */
export async function resolveRerankModel(
  ctx: Ctx,
  settings: { providerId: string; name: string },
): Promise<RerankingModelV4> {
  const entry = await loadEntry(ctx, settings.providerId);
  if (!entry) throw notInitialised("the rerank model's provider is not configured in this workspace");
  const { config } = entry;
  const listed = config.models.some((m) => m.name === settings.name && m.type === "rerank");
  if (config.models.length > 0 && !listed) {
    throw notInitialised(`model ${settings.name} is not one of this provider's rerank models`);
  }
  const provider = await sdkFor(ctx, entry);
  if (!provider.rerank) throw notInitialised(`${config.kind} providers offer no rerank models here yet`);
  return provider.rerank(settings.name);
}
