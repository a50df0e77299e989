import { generateText, streamText, stepCountIs, type ModelMessage, type ToolSet } from "ai";
import type { ChatStreamEvent, ErrorCode, ModelParameters } from "@enclave/contracts";
import { ERROR_STATUS } from "@enclave/contracts";
import { classifyProviderError } from "../models/provider-errors.ts";
import type { ResolvedChatModel } from "../models/resolve-model.ts";

/** One step of an agent's work: what it said, which tools it called and what they answered. */
export interface AgentThought {
  position: number;
  thought: string;
  tool: string;
  toolInput: string;
  observation: string;
}

export interface GenerationInput {
  model: ResolvedChatModel;
  system: string;
  messages: ModelMessage[];
  parameters: ModelParameters;
  /** Agent apps: the tools and how many model calls the loop may make. */
  agent?: { tools: ToolSet; maxSteps: number };
  /** Aborted by a stop request or a client that went away. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Called for every delta and agent step, in order, while the model answers. */
  onEvent?: (event: ChatStreamEvent) => void;
}

export interface GenerationResult {
  status: "normal" | "error" | "stopped";
  answer: string;
  thoughts: AgentThought[];
  promptTokens: number;
  completionTokens: number;
  error: { code: ErrorCode; status: number; message: string } | null;
  latencyMs: number;
  firstTokenMs: number | null;
}

interface StepState {
  text: string;
  calls: { name: string; input: unknown }[];
  results: { name: string; output: unknown }[];
}

/**
 * Runs one generation through the AI SDK and reports it as Dify-style events. Never throws for a
 * provider failure: the result says `error` with a code and a message safe to show anyone (the
 * upstream text is never passed on — providers echo credentials in errors).
 */
export async function generate(input: GenerationInput): Promise<GenerationResult> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([input.signal, timeout]);
  const emit = input.onEvent ?? (() => {});

  const textEvent = input.agent ? "agent_message" : "message";
  const p = input.parameters;
  const result: GenerationResult = {
    status: "normal",
    answer: "",
    thoughts: [],
    promptTokens: 0,
    completionTokens: 0,
    error: null,
    latencyMs: 0,
    firstTokenMs: null,
  };
  let step: StepState = { text: "", calls: [], results: [] };
  let failure: unknown = null;

  const options = {
    model: input.model.model,
    system: input.system || undefined,
    messages: input.messages,
    maxRetries: 0,
    abortSignal: signal,
    experimental_download: input.model.download,
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.top_p !== undefined ? { topP: p.top_p } : {}),
    ...(p.max_tokens !== undefined ? { maxOutputTokens: p.max_tokens } : {}),
    ...(p.presence_penalty !== undefined ? { presencePenalty: p.presence_penalty } : {}),
    ...(p.frequency_penalty !== undefined ? { frequencyPenalty: p.frequency_penalty } : {}),
    ...(p.stop ? { stopSequences: p.stop } : {}),
    ...(input.agent ? { tools: input.agent.tools, stopWhen: stepCountIs(input.agent.maxSteps) } : {}),
  };

  try {
    if (!input.onEvent) {
      // Nobody streams: one non-streaming call is much cheaper than a stream of deltas.
      const done = await generateText(options);
      result.answer = done.steps.map((s) => s.text).join("");
      if (input.agent) {
        result.thoughts = done.steps.map((s, i) =>
          toThought(i + 1, {
            text: s.text,
            calls: s.toolCalls.map((c) => ({ name: c.toolName, input: c.input })),
            results: s.toolResults.map((r) => ({ name: r.toolName, output: r.output })),
          }),
        );
      }
      result.promptTokens = done.totalUsage.inputTokens ?? 0;
      result.completionTokens = done.totalUsage.outputTokens ?? 0;
    } else {
      // The SDK's default prints the raw error to stderr, and upstream errors echo API keys.
      const stream = streamText({ ...options, onError: () => {} });
      for await (const part of stream.fullStream) {
        switch (part.type) {
          case "text-delta":
            if (part.text.length === 0) break;
            result.firstTokenMs ??= performance.now() - started;
            result.answer += part.text;
            step.text += part.text;
            emit({ event: textEvent, answer: part.text });
            break;
          case "tool-call":
            step.calls.push({ name: part.toolName, input: part.input });
            break;
          case "tool-result":
            step.results.push({ name: part.toolName, output: part.output });
            break;
          case "tool-error":
            step.results.push({ name: part.toolName, output: "error: the tool failed" });
            break;
          case "finish-step":
            if (input.agent) {
              const thought = toThought(result.thoughts.length + 1, step);
              result.thoughts.push(thought);
              emit({
                event: "agent_thought",
                id: crypto.randomUUID(),
                position: thought.position,
                thought: thought.thought,
                tool: thought.tool,
                tool_input: thought.toolInput,
                observation: thought.observation,
              });
            }
            step = { text: "", calls: [], results: [] };
            break;
          case "finish":
            result.promptTokens = part.totalUsage.inputTokens ?? 0;
            result.completionTokens = part.totalUsage.outputTokens ?? 0;
            break;
          case "error":
            failure = part.error;
            break;
          case "abort":
            failure ??= signal.reason ?? new Error("aborted");
            break;
          default:
            break;
        }
        if (failure) break;
      }
    }
  } catch (err) {
    failure = err;
  }

  result.latencyMs = performance.now() - started;
  if (failure || signal.aborted) {
    if (input.signal.aborted && !timeout.aborted) {
      result.status = "stopped";
    } else {
      result.status = "error";
      result.error = describeFailure(timeout.aborted ? "timeout" : failure);
    }
  }
  return result;
}

function toThought(position: number, step: StepState): AgentThought {
  const byName = (items: { name: string }[], value: (i: never) => unknown) =>
    items.length === 0
      ? ""
      : JSON.stringify(Object.fromEntries(items.map((i) => [i.name, value(i as never)])));
  return {
    position,
    thought: step.text,
    tool: step.calls.map((c) => c.name).join(";"),
    toolInput: byName(step.calls, (c: { input: unknown }) => c.input),
    observation: byName(step.results, (r: { output: unknown }) => r.output),
  };
}

function describeFailure(err: unknown): { code: ErrorCode; status: number; message: string } {
  if (err === "timeout") {
    return {
      code: "upstream_timeout",
      status: ERROR_STATUS.upstream_timeout,
      message: "the model did not answer in time",
    };
  }
  const failure = classifyProviderError(err);
  const code: ErrorCode = failure.code === "timeout" ? "upstream_timeout" : "upstream_error";
  return { code, status: ERROR_STATUS[code], message: failure.message };
}
