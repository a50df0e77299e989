import { z } from "zod";
import { httpUrlWithoutCredentials } from "./urls.ts";

// Model providers of a workspace. Secret fields are write-only: reads return masks.

export const MODEL_PROVIDER_KINDS = [
  "openai",
  "azure_openai",
  "anthropic",
  "openai_compatible",
  "bedrock",
] as const;
export type ModelProviderKind = (typeof MODEL_PROVIDER_KINDS)[number];

export const MODEL_TYPES = ["llm", "text-embedding", "rerank"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

const httpUrl = httpUrlWithoutCredentials("credentials in the URL are not allowed");

/** A model the provider offers, with optional prices (per million tokens) for cost accounting. */
export const ModelEntry = z
  .object({
    name: z.string().trim().min(1).max(200),
    type: z.enum(MODEL_TYPES).default("llm"),
    contextWindow: z.number().int().positive().max(10_000_000).optional(),
    inputPricePerMTok: z.number().nonnegative().max(1_000_000).optional(),
    outputPricePerMTok: z.number().nonnegative().max(1_000_000).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default("USD"),
  })
  .strict();
export type ModelEntry = z.infer<typeof ModelEntry>;

const models = z.array(ModelEntry).max(200).default([]);
const apiKey = z.string().trim().min(1).max(4000);
const name = z.string().trim().min(1).max(100);

/** The body of `POST /console/api/workspaces/current/model-providers`, one shape per kind. */
export const CreateModelProviderInput = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("openai"),
      name,
      apiKey,
      baseUrl: httpUrl.optional(),
      organization: z.string().max(200).optional(),
      models,
    })
    .strict(),
  z
    .object({
      kind: z.literal("azure_openai"),
      name,
      apiKey,
      /** `https://<resource>.openai.azure.com/openai` or a full custom endpoint. */
      baseUrl: httpUrl,
      apiVersion: z.string().max(40).optional(),
      models,
    })
    .strict(),
  z.object({ kind: z.literal("anthropic"), name, apiKey, baseUrl: httpUrl.optional(), models }).strict(),
  z
    .object({
      kind: z.literal("openai_compatible"),
      name,
      apiKey: apiKey.optional(),
      baseUrl: httpUrl,
      models,
    })
    .strict(),
  z
    .object({
      kind: z.literal("bedrock"),
      name,
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
      accessKeyId: z.string().trim().min(1).max(200),
      secretAccessKey: z.string().trim().min(1).max(400),
      sessionToken: z.string().max(4000).optional(),
      baseUrl: httpUrl.optional(),
      models,
    })
    .strict(),
]);
export type CreateModelProviderInput = z.infer<typeof CreateModelProviderInput>;

/** PATCH body: any field of the provider's kind except `kind`; a secret left out is kept. */
export const UpdateModelProviderInput = z
  .object({
    name: name.optional(),
    apiKey: apiKey.optional(),
    baseUrl: httpUrl.optional(),
    organization: z.string().max(200).optional(),
    apiVersion: z.string().max(40).optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .optional(),
    accessKeyId: z.string().trim().min(1).max(200).optional(),
    secretAccessKey: z.string().trim().min(1).max(400).optional(),
    sessionToken: z.string().max(4000).optional(),
    models: z.array(ModelEntry).max(200).optional(),
  })
  .strict();
export type UpdateModelProviderInput = z.infer<typeof UpdateModelProviderInput>;

/** What reads return: settings in clear, secrets only as masks (`sk-abc…xy`). */
export interface ModelProviderView {
  id: string;
  kind: ModelProviderKind;
  name: string;
  baseUrl: string | null;
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
  models: ModelEntry[];
  createdAt: string;
  updatedAt: string;
}

export const TestModelProviderInput = z
  .object({ model: z.string().trim().min(1).max(200).optional() })
  .strict();
export type TestModelProviderInput = z.infer<typeof TestModelProviderInput>;

/** An outbound allowlist entry: a host name, an IP, or a CIDR. */
export const CreateAllowlistEntryInput = z
  .object({
    entry: z.string().trim().toLowerCase().min(1).max(255),
    note: z.string().trim().max(500).default(""),
  })
  .strict();
export type CreateAllowlistEntryInput = z.infer<typeof CreateAllowlistEntryInput>;
