import { and, desc, eq, isNotNull } from "drizzle-orm";
import { isUuid } from "../context/ids.ts";
import type { ModelMessage, UserContent } from "ai";
import { uuidv7 } from "uuidv7";
import {
  ChatMessageRequest,
  CompletionMessageRequest,
  DebugChatRequest,
  type AppMode,
  type ChatStreamEvent,
  type RetrieverResource,
  type MessageUsage,
} from "@enclave/contracts";
import { conversations, messages } from "@enclave/db";
import { actorId, type Ctx } from "../context/ctx.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { loadAppRow, parseStoredConfig } from "../apps/app-rows.ts";
import { AppError } from "../errors/app-error.ts";
import { loadServingApp, type ServingApp } from "../apps/serving.ts";
import { resolveChatModel, type ResolvedChatModel } from "../models/resolve-model.ts";
import { ensureEndUser, existingEndUser } from "../apps/end-users.ts";
import { generate, type AgentThought, type GenerationResult } from "./generate.ts";
import { renderTemplate, validateInputs } from "./inputs.ts";
import { filesToParts } from "./message-files.ts";
import { persistMessage } from "./persist.ts";
import { knowledgeContext } from "./knowledge-context.ts";
import { acquireGenerationSlot } from "../limits/enforce.ts";
import { defaultTaskRegistry } from "./tasks.ts";
import { builtinTools } from "./tools.ts";

export type MessageSource = "api" | "web" | "openai" | "console";

export interface SendOptions {
  source: MessageSource;
  /** Aborts the generation (the client went away). */
  signal?: AbortSignal;
  /** Every streamed event, in order, after `onStart`. */
  onEvent?: (event: ChatStreamEvent) => void;
  /** Called once the ids are known and all checks passed, just before the model is called. */
  onStart?: (ids: MessageIds) => void;
  /** Model call limit; from MODEL_TIMEOUT_SECONDS. */
  timeoutMs?: number;
}

export interface MessageIds {
  taskId: string;
  messageId: string;
  conversationId: string | null;
  /** Unix seconds. */
  createdAt: number;
  mode: AppMode;
}

export interface SentMessage extends MessageIds {
  answer: string;
  status: GenerationResult["status"];
  error: GenerationResult["error"];
  usage: MessageUsage;
  retrieverResources: RetrieverResource[];
  thoughts: AgentThought[];
}

/** One prior exchange handed to the model as memory. */
interface Turn {
  query: string;
  answer: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** `POST /chat-messages`: one turn of a chat or agent-chat app's conversation. */
export async function sendChatMessage(ctx: Ctx, raw: unknown, opts: SendOptions): Promise<SentMessage> {
  const input = ChatMessageRequest.parse(raw);
  return chatTurn(ctx, await servingApp(ctx, opts.source), input, opts);
}

/**
 * The console's debug chat: a turn against the app's *draft*, by an editor, kept like any other
 * message (source `console`, end user `console:<account id>`) so the editor sees it in the logs.
 */
export async function debugChatMessage(
  ctx: Ctx,
  appId: string,
  raw: unknown,
  opts: Omit<SendOptions, "source">,
): Promise<SentMessage> {
  requirePermission(ctx, "app.update");
  const input = DebugChatRequest.parse(raw);
  const row = await loadAppRow(ctx.db, ctx, appId);
  const app: ServingApp = {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    mode: row.mode,
    icon: row.icon,
    versionId: null,
    config: parseStoredConfig(row.draftConfig),
    retainContent: row.retainContent,
    limits: { rpm: null, rph: null, maxConcurrent: null },
  };
  return chatTurn(ctx, app, { ...input, user: debugUser(ctx) }, { ...opts, source: "console" });
}

/**
 * Stops a debug-pane answer of the app. Only the account that asked can stop it: anyone else's
 * stop, or an unknown task, does nothing and still succeeds (no oracle, as Dify's stop).
 */
export async function stopDebugChat(ctx: Ctx, appId: string, taskId: string): Promise<void> {
  requirePermission(ctx, "app.update");
  const row = await loadAppRow(ctx.db, ctx, appId);
  const endUser = await existingEndUser(ctx, row.id, debugUser(ctx));
  if (!endUser) return;
  const tasks = ctx.services.tasks ?? defaultTaskRegistry;
  await tasks.stop(taskId, { appId: row.id, endUserId: endUser.id });
}

/** The end user a console account chats as in the debug pane. */
const debugUser = (ctx: Ctx) => `console:${actorId(ctx.actor) ?? "unknown"}`;

async function chatTurn(
  ctx: Ctx,
  app: ServingApp,
  input: ChatMessageRequest,
  opts: SendOptions,
): Promise<SentMessage> {
  if (app.mode === "completion") {
    throw new AppError("not_chat_app", "this is a completion app: use /completion-messages");
  }
  const endUserId = (await ensureEndUser(ctx, app.id, input.user, opts.source)).id;
  const existing = input.conversation_id
    ? await loadConversation(ctx, app, endUserId, input.conversation_id)
    : null;
  const values = existing?.inputs ?? validateInputs(app.config.userInputForm, input.inputs);
  const model = await chatModel(ctx, app);
  const parts = await filesToParts(ctx, app, endUserId, input.files ?? []);
  const history = existing ? await loadHistory(ctx, app, existing.id) : [];
  const knowledge = await knowledgeContext(ctx, app.config, input.query);
  const conversationId = existing?.id ?? uuidv7();
  const name = input.auto_generate_name === false ? "New conversation" : titleOf(input.query);
  return run(ctx, app, opts, {
    model,
    endUserId,
    system: joinPrompt(renderTemplate(app.config.prePrompt, values), knowledge.prompt),
    resources: knowledge.resources,
    messages: [...historyMessages(history), userMessage(input.query, parts.content)],
    conversation: { id: conversationId, isNew: !existing, name, inputs: values },
    inputs: values,
    query: input.query,
    fileIds: parts.fileIds,
  });
}

/** `POST /completion-messages`: a one-shot generation of a completion app. */
export async function sendCompletionMessage(ctx: Ctx, raw: unknown, opts: SendOptions): Promise<SentMessage> {
  const input = CompletionMessageRequest.parse(raw);
  const app = await servingApp(ctx, opts.source);
  if (app.mode !== "completion") {
    throw new AppError("app_mode_mismatch", "this is a chat app: use /chat-messages");
  }
  const endUserId = (await ensureEndUser(ctx, app.id, input.user, opts.source)).id;
  const values = validateInputs(app.config.userInputForm, input.inputs);
  const model = await chatModel(ctx, app);
  const parts = await filesToParts(ctx, app, endUserId, input.files ?? []);
  const template = app.config.prePrompt;
  let prompt = renderTemplate(template, { ...values, query: input.query });
  if (input.query && !/\{\{\s*query\s*\}\}/.test(template))
    prompt = prompt ? `${prompt}\n\n${input.query}` : input.query;
  if (!prompt.trim()) throw new AppError("validation_failed", "the prompt is empty: give a query or inputs");
  const knowledge = await knowledgeContext(ctx, app.config, input.query || prompt);
  return run(ctx, app, opts, {
    model,
    endUserId,
    system: knowledge.prompt,
    resources: knowledge.resources,
    messages: [userMessage(prompt, parts.content)],
    conversation: null,
    inputs: values,
    query: input.query,
    fileIds: parts.fileIds,
  });
}

/** A stateless turn of the OpenAI-compatible endpoint: the caller sends the whole history. */
export async function sendStatelessChat(
  ctx: Ctx,
  input: { user: string; messages: ModelMessage[]; query: string; system?: string },
  opts: SendOptions,
): Promise<SentMessage> {
  const app = await servingApp(ctx, opts.source);
  if (app.mode === "completion") {
    throw new AppError("not_chat_app", "this is a completion app: the OpenAI endpoint serves chat apps");
  }
  const endUserId = (await ensureEndUser(ctx, app.id, input.user, opts.source)).id;
  const values = validateInputs(app.config.userInputForm, {});
  const model = await chatModel(ctx, app);
  const knowledge = await knowledgeContext(ctx, app.config, input.query);
  return run(ctx, app, opts, {
    model,
    endUserId,
    system: joinPrompt(renderTemplate(app.config.prePrompt, values), input.system ?? "", knowledge.prompt),
    resources: knowledge.resources,
    messages: input.messages,
    conversation: null,
    inputs: values,
    query: input.query,
    fileIds: [],
  });
}

interface Prepared {
  model: ResolvedChatModel;
  endUserId: string;
  system: string;
  /** Citations of the knowledge the prompt was given. */
  resources: RetrieverResource[];
  messages: ModelMessage[];
  conversation: { id: string; isNew: boolean; name: string; inputs: Record<string, unknown> } | null;
  inputs: Record<string, unknown>;
  query: string;
  fileIds: string[];
}

async function run(ctx: Ctx, app: ServingApp, opts: SendOptions, p: Prepared): Promise<SentMessage> {
  const createdAt = new Date();
  const ids: MessageIds = {
    taskId: uuidv7(),
    messageId: uuidv7(),
    conversationId: p.conversation?.id ?? null,
    createdAt: Math.floor(createdAt.getTime() / 1000),
    mode: app.mode,
  };
  // Before anything is streamed: a full app answers 429 as a plain HTTP error.
  const release = await acquireGenerationSlot(ctx, app);
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const tasks = ctx.services.tasks ?? defaultTaskRegistry;
  const unregister = tasks.register(ids.taskId, { appId: app.id, endUserId: p.endUserId }, controller);
  let result: GenerationResult;
  try {
    opts.onStart?.(ids);
    result = await generate({
      model: p.model,
      system: p.system,
      messages: p.messages,
      parameters: app.config.model?.parameters ?? {},
      ...(app.mode === "agent-chat"
        ? { agent: { tools: builtinTools(ctx, app.config.tools), maxSteps: app.config.agentMaxIterations } }
        : {}),
      signal: controller.signal,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
  } finally {
    unregister();
    opts.signal?.removeEventListener("abort", onAbort);
    await release();
  }
  const usage = usageOf(p.model, result);
  const retrieverResources = p.resources;
  await persistMessage(ctx.db, {
    id: ids.messageId,
    workspaceId: app.workspaceId,
    appId: app.id,
    appVersionId: app.versionId,
    endUserId: p.endUserId,
    source: opts.source,
    conversation: p.conversation
      ? {
          ...p.conversation,
          name: app.retainContent ? p.conversation.name : null,
          inputs: app.retainContent ? p.conversation.inputs : null,
        }
      : null,
    content: app.retainContent
      ? {
          inputs: p.inputs,
          query: p.query,
          answer: result.answer,
          agentThoughts: app.mode === "agent-chat" ? result.thoughts : null,
          retrieverResources: retrieverResources.length > 0 ? retrieverResources : null,
        }
      : null,
    fileIds: p.fileIds,
    status: result.status,
    error: result.error ? `${result.error.code}: ${result.error.message}` : null,
    modelProvider: p.model.providerName,
    modelName: p.model.modelName,
    promptTokens: result.promptTokens,
    completionTokens: result.completionTokens,
    price: p.model.pricing ? usage.total_price : null,
    currency: p.model.pricing ? usage.currency : null,
    latencyMs: result.latencyMs,
    firstTokenMs: result.firstTokenMs,
    createdAt,
  });
  return {
    ...ids,
    answer: result.answer,
    status: result.status,
    error: result.error,
    usage,
    retrieverResources,
    thoughts: result.thoughts,
  };
}

async function servingApp(ctx: Ctx, source: MessageSource): Promise<ServingApp> {
  return loadServingApp(ctx, source === "web" ? "web" : "api");
}

async function chatModel(ctx: Ctx, app: ServingApp): Promise<ResolvedChatModel> {
  if (!app.config.model) throw new AppError("provider_not_initialize", "the app has no model configured");
  return resolveChatModel(ctx, app.config.model);
}

async function loadConversation(
  ctx: Ctx,
  app: ServingApp,
  endUserId: string,
  id: string,
): Promise<{ id: string; inputs: Record<string, string | number> | null } | null> {
  if (!isUuid(id)) throw new AppError("not_found", "Conversation Not Exists.");
  const [row] = await ctx.db
    .select({ id: conversations.id, inputs: conversations.inputs })
    .from(conversations)
    .where(
      and(eq(conversations.id, id), eq(conversations.appId, app.id), eq(conversations.endUserId, endUserId)),
    )
    .limit(1);
  if (!row) throw new AppError("not_found", "Conversation Not Exists.");
  return { id: row.id, inputs: (row.inputs as Record<string, string | number> | null) ?? null };
}

/** The last `memoryWindow` successful exchanges, oldest first (none when content is not kept). */
async function loadHistory(ctx: Ctx, app: ServingApp, conversationId: string): Promise<Turn[]> {
  const window = app.config.memoryWindow;
  if (window === 0 || !app.retainContent) return [];
  const rows = await ctx.db
    .select({ query: messages.query, answer: messages.answer })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        eq(messages.status, "normal"),
        isNotNull(messages.query),
        isNotNull(messages.answer),
      ),
    )
    .orderBy(desc(messages.createdAt))
    .limit(window);
  return rows.reverse().map((r) => ({ query: r.query!, answer: r.answer! }));
}

function historyMessages(turns: Turn[]): ModelMessage[] {
  return turns.flatMap((t): ModelMessage[] => [
    { role: "user", content: t.query },
    { role: "assistant", content: t.answer },
  ]);
}

function userMessage(text: string, extra: Exclude<UserContent, string>): ModelMessage {
  return extra.length === 0
    ? { role: "user", content: text }
    : { role: "user", content: [{ type: "text", text }, ...extra] };
}

/** The app's prompt, the caller's system text and the knowledge frame, blank parts left out. */
function joinPrompt(...parts: string[]): string {
  return parts.filter((p) => p.trim() !== "").join("\n\n");
}

/** A conversation's first name: the start of its first question, on one line. */
export function titleOf(query: string): string {
  const line = query.replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length > 40 ? `${chars.slice(0, 40).join("")}…` : line || "New conversation";
}

const fixed = (n: number) => n.toFixed(7);

function usageOf(model: ResolvedChatModel, r: GenerationResult): MessageUsage {
  const pricing = model.pricing;
  const unit = 0.000001; // prices are configured per million tokens
  const promptPrice = pricing ? r.promptTokens * pricing.inputPerMTok * unit : 0;
  const completionPrice = pricing ? r.completionTokens * pricing.outputPerMTok * unit : 0;
  return {
    prompt_tokens: r.promptTokens,
    prompt_unit_price: fixed(pricing?.inputPerMTok ?? 0),
    prompt_price_unit: fixed(unit),
    prompt_price: fixed(promptPrice),
    completion_tokens: r.completionTokens,
    completion_unit_price: fixed(pricing?.outputPerMTok ?? 0),
    completion_price_unit: fixed(unit),
    completion_price: fixed(completionPrice),
    total_tokens: r.promptTokens + r.completionTokens,
    total_price: fixed(promptPrice + completionPrice),
    currency: pricing?.currency ?? "USD",
    latency: Math.round(r.latencyMs) / 1000,
  };
}
