import { z } from "zod";
import { AppDatasetsConfig } from "./knowledge.ts";

export const APP_MODES = ["chat", "completion", "agent-chat"] as const;
export type AppMode = (typeof APP_MODES)[number];

/** Who besides the owner may read an app's conversation logs. */
export const LOG_VISIBILITIES = ["creator_and_admins", "editors", "owner_only"] as const;
export type LogVisibility = (typeof LOG_VISIBILITIES)[number];

export const BUILTIN_TOOLS = ["current_time", "http_get"] as const;
export type BuiltinTool = (typeof BUILTIN_TOOLS)[number];

const variable = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "variable names are letters, digits and _ (not first)");
const label = z.string().trim().min(1).max(100);
const field = { label, variable, required: z.boolean().default(false) };

/** One control of the user input form, in Dify's `user_input_form` shape. */
export const UserInputField = z.union([
  z
    .object({
      "text-input": z
        .object({
          ...field,
          max_length: z.number().int().min(1).max(10_000).default(256),
          default: z.string().max(10_000).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      paragraph: z
        .object({
          ...field,
          max_length: z.number().int().min(1).max(100_000).optional(),
          default: z.string().max(100_000).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      select: z
        .object({
          ...field,
          options: z.array(z.string().min(1).max(200)).min(1).max(100),
          default: z.string().max(200).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      number: z
        .object({
          ...field,
          default: z.number().optional(),
          min: z.number().optional(),
          max: z.number().optional(),
        })
        .strict(),
    })
    .strict(),
]);
export type UserInputField = z.infer<typeof UserInputField>;

export const USER_INPUT_CONTROLS = ["text-input", "paragraph", "select", "number"] as const;
export type UserInputControl = (typeof USER_INPUT_CONTROLS)[number];
/** The settings of each kind of control, e.g. `UserInputSpecs["select"]` has `options`. */
export type UserInputSpecs = {
  [K in UserInputControl]: Extract<UserInputField, Record<K, unknown>>[K];
};
export type UserInputSpec = UserInputSpecs[UserInputControl];

/** A form control's kind (`text-input`, …) and its settings. */
export function inputFieldSpec(field: UserInputField): { control: UserInputControl; spec: UserInputSpec } {
  const control = Object.keys(field)[0] as UserInputControl;
  return { control, spec: (field as Record<UserInputControl, UserInputSpec>)[control] };
}

/** `{{ name }}` in a prompt; group 1 is the variable. Shared by the renderer and the editor. */
export const PROMPT_VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

/** The distinct `{{variables}}` a prompt uses, in order of first use. */
export function promptVariables(prompt: string): string[] {
  return [...new Set([...prompt.matchAll(PROMPT_VARIABLE)].map((m) => m[1]!))];
}

// Two controls with one variable name would make `inputs` ambiguous.
const userInputForm = z
  .array(UserInputField)
  .max(50)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((f, i) => {
      const { control, spec } = inputFieldSpec(f);
      if (seen.has(spec.variable)) {
        ctx.addIssue({
          code: "custom",
          path: [i, control, "variable"],
          message: "variable names must be unique",
          params: { reason: "duplicate_variable" },
        });
      }
      seen.add(spec.variable);
      const bad = (prop: string, reason: string, message: string) =>
        ctx.addIssue({ code: "custom", path: [i, control, prop], message, params: { reason } });
      if ("options" in spec && spec.default !== undefined && !spec.options.includes(spec.default)) {
        bad("default", "default_not_an_option", "the default must be one of the options");
      }
      if (control === "number" && "min" in spec) {
        const { min, max } = spec as UserInputSpecs["number"];
        if (min !== undefined && max !== undefined && min > max)
          bad("max", "max_below_min", "max is below min");
      }
    });
  });

/** Sampling parameters passed to the model (names as the OpenAI API spells them). */
export const ModelParameters = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    stop: z.array(z.string().min(1).max(100)).max(4).optional(),
  })
  .strict();
export type ModelParameters = z.infer<typeof ModelParameters>;

export const AppModelSettings = z
  .object({
    providerId: z.uuid(),
    name: z.string().trim().min(1).max(200),
    parameters: ModelParameters.default({}),
  })
  .strict();
export type AppModelSettings = z.infer<typeof AppModelSettings>;

/**
 * An app's configuration (draft or published). `prePrompt` is the system prompt for chat apps and
 * the prompt template for completion apps; both may use `{{variable}}` from the input form.
 */
export const AppConfig = z
  .object({
    model: AppModelSettings.nullable().default(null),
    prePrompt: z.string().max(50_000).default(""),
    userInputForm: userInputForm.default([]),
    openingStatement: z.string().max(10_000).default(""),
    suggestedQuestions: z.array(z.string().trim().min(1).max(500)).max(10).default([]),
    /** How many earlier exchanges of the conversation are sent to the model. */
    memoryWindow: z.number().int().min(0).max(100).default(10),
    tools: z.array(z.enum(BUILTIN_TOOLS)).max(BUILTIN_TOOLS.length).default([]),
    agentMaxIterations: z.number().int().min(1).max(10).default(5),
    fileUpload: z
      .object({
        enabled: z.boolean().default(false),
        numberLimits: z.number().int().min(1).max(10).default(3),
      })
      .strict()
      .default({ enabled: false, numberLimits: 3 }),
    /** Knowledge bases the app retrieves from, and how (see core/knowledge/hit-testing.ts). */
    datasets: AppDatasetsConfig.default(AppDatasetsConfig.parse({})),
  })
  .strict();
export type AppConfig = z.infer<typeof AppConfig>;

const HOST_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HTTPS_ORIGIN = new RegExp(`^https://${HOST_LABEL}(?:\\.${HOST_LABEL})*(?::[0-9]{1,5})?$`);

/**
 * A site allowed to frame the web app: an exact https origin (scheme, host, optional port). No
 * wildcards, paths or other schemes — it is written verbatim into CSP `frame-ancestors`.
 */
export const EmbedOrigin = z
  .string()
  .trim()
  .toLowerCase()
  .max(300)
  .refine((s) => HTTPS_ORIGIN.test(s) && URL.canParse(s) && new URL(s).origin === s, {
    message: "an embed origin is https://host[:port] with no path, wildcard or trailing slash",
  });
export const EmbedOrigins = z
  .array(EmbedOrigin)
  .max(20)
  .transform((list) => [...new Set(list)]);

const appName = z.string().trim().min(1).max(100);
const description = z.string().trim().max(2000);
const icon = z.string().trim().min(1).max(16);
const limit = z.number().int().min(1).max(1_000_000).nullable();

export const CreateAppInput = z
  .object({
    name: appName,
    mode: z.enum(APP_MODES),
    description: description.default(""),
    icon: icon.optional(),
    config: AppConfig.optional(),
  })
  .strict();
export type CreateAppInput = z.infer<typeof CreateAppInput>;

/** PATCH body: draft config and settings; a field left out is unchanged. */
export const UpdateAppInput = z
  .object({
    name: appName.optional(),
    description: description.optional(),
    icon: icon.optional(),
    config: AppConfig.optional(),
    enableApi: z.boolean().optional(),
    enableSite: z.boolean().optional(),
    siteRequireLogin: z.boolean().optional(),
    siteEmbedOrigins: EmbedOrigins.optional(),
    logVisibility: z.enum(LOG_VISIBILITIES).optional(),
    retainContent: z.boolean().optional(),
    retentionDays: z.number().int().min(1).max(3650).nullable().optional(),
    apiRpm: limit.optional(),
    apiRph: limit.optional(),
    maxConcurrentRequests: z.number().int().min(1).max(10_000).nullable().optional(),
    maxApiKeys: z.number().int().min(1).max(100).optional(),
  })
  .strict();
export type UpdateAppInput = z.infer<typeof UpdateAppInput>;

export interface AppView {
  id: string;
  name: string;
  description: string;
  mode: AppMode;
  icon: string;
  config: AppConfig;
  publishedVersion: { id: string; version: number; publishedAt: string } | null;
  enableApi: boolean;
  enableSite: boolean;
  /** The web app lives at `/app/<siteCode>`. */
  siteCode: string;
  siteRequireLogin: boolean;
  /** Origins whose pages may embed the web app in an iframe. */
  siteEmbedOrigins: string[];
  logVisibility: LogVisibility;
  retainContent: boolean;
  retentionDays: number | null;
  apiRpm: number | null;
  apiRph: number | null;
  maxConcurrentRequests: number | null;
  maxApiKeys: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export const CreateApiKeyInput = z
  .object({ name: z.string().trim().min(1).max(100).default("API key") })
  .strict();
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;

export interface ApiKeyView {
  id: string;
  name: string;
  /** `app-AbCd…`: enough to tell keys apart, never the key. */
  prefix: string;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export const AppKeyParams = z.object({ id: z.uuid(), keyId: z.uuid() }).strict();
export type AppKeyParams = z.infer<typeof AppKeyParams>;

/**
 * A published web app's code (`/app/<code>`): 20 lowercase hex characters, as the database
 * generates it. Anything else names no web app.
 */
export function isSiteCode(value: unknown): value is string {
  return typeof value === "string" && /^[0-9a-f]{20}$/.test(value);
}

export const AppVersionParams = z.object({ id: z.uuid(), versionId: z.uuid() }).strict();
export type AppVersionParams = z.infer<typeof AppVersionParams>;

/** `/apps/{id}/chat-messages/{taskId}/stop`: a debug-pane answer's Dify `task_id`. */
export const AppTaskParams = z.object({ id: z.uuid(), taskId: z.string().min(1).max(64) }).strict();
export type AppTaskParams = z.infer<typeof AppTaskParams>;
