import { createAmazonBedrock } from "@ai-sdk/amazon-bedrock";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createAzure } from "@ai-sdk/azure";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { EmbeddingModelV4, LanguageModelV4, RerankingModelV4 } from "@ai-sdk/provider";
import { AppError } from "../errors/app-error.ts";
import { openAICompatibleReranker } from "./openai-compatible-rerank.ts";
import type { ProviderConfig } from "./provider-config.ts";

/** What Enclave needs from an SDK provider, whatever its kind. */
export interface SdkProvider {
  chat(modelName: string): LanguageModelV4;
  embedding(modelName: string): EmbeddingModelV4;
  /** Rerank models: OpenAI-compatible servers only for now (the others throw provider_not_initialize). */
  rerank?(modelName: string): RerankingModelV4;
}

const OPENAI_URL = "https://api.openai.com/v1";
const ANTHROPIC_URL = "https://api.anthropic.com/v1";

// Every setting is passed explicitly (base URLs included): the SDKs fall back to environment
// variables such as OPENAI_API_KEY or AWS_ENDPOINT_URL otherwise, which would hand the
// deployment's own credentials or endpoints to a workspace's provider.

/**
 * Builds the AI SDK provider for a decrypted configuration. `fetch` is the workspace's guarded
 * fetch: the SDK never opens a connection of its own.
 */
export function buildSdkProvider(config: ProviderConfig, fetch: typeof globalThis.fetch): SdkProvider {
  const { settings, credentials } = config;
  const apiKey = credentials.apiKey ?? "";
  switch (config.kind) {
    case "openai": {
      const p = createOpenAI({
        apiKey,
        baseURL: settings.baseUrl ?? OPENAI_URL,
        ...(settings.organization ? { organization: settings.organization } : {}),
        fetch,
      });
      // Chat Completions, not Responses: the one API every OpenAI-style server speaks.
      return { chat: (m) => p.chat(m), embedding: (m) => p.embedding(m) };
    }
    case "azure_openai": {
      const legacy = settings.apiVersion !== undefined && !/^(v1|preview)$/.test(settings.apiVersion);
      const p = createAzure({
        apiKey,
        baseURL: settings.baseUrl,
        ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
        // A dated api-version (2024-10-21) means the classic /deployments/{name}/… URLs.
        useDeploymentBasedUrls: legacy,
        fetch,
      });
      return { chat: (m) => p.chat(m), embedding: (m) => p.embedding(m) };
    }
    case "anthropic": {
      const p = createAnthropic({ apiKey, baseURL: settings.baseUrl ?? ANTHROPIC_URL, fetch });
      return {
        chat: (m) => p.languageModel(m),
        embedding: () => {
          throw new AppError("provider_not_initialize", "Anthropic offers no embedding models");
        },
      };
    }
    case "openai_compatible": {
      const p = createOpenAICompatible({
        name: "openai_compatible",
        baseURL: settings.baseUrl!,
        ...(credentials.apiKey ? { apiKey: credentials.apiKey } : {}),
        includeUsage: true,
        fetch,
      });
      return {
        chat: (m) => p.chatModel(m),
        embedding: (m) => p.embeddingModel(m),
        rerank: (m) =>
          openAICompatibleReranker({
            baseUrl: settings.baseUrl!,
            apiKey: credentials.apiKey,
            modelId: m,
            fetch,
          }),
      };
    }
    case "bedrock": {
      const region = settings.region!;
      const p = createAmazonBedrock({
        region,
        baseURL: settings.baseUrl ?? bedrockRuntimeUrl(region),
        // "" (not undefined) keeps AWS_BEARER_TOKEN_BEDROCK from the environment out of it.
        apiKey: "",
        credentialProvider: async () => ({
          accessKeyId: credentials.accessKeyId ?? "",
          secretAccessKey: credentials.secretAccessKey ?? "",
          ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
        }),
        fetch,
      });
      return { chat: (m) => p.languageModel(m), embedding: (m) => p.embedding(m) };
    }
  }
}

/** The public Bedrock runtime endpoint of a region (China regions use their own suffix). */
export function bedrockRuntimeUrl(region: string): string {
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://bedrock-runtime.${region}.${suffix}`;
}
