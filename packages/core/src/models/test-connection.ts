import { generateText } from "ai";
import { TestModelProviderInput } from "@enclave/contracts";
import type { Ctx } from "../context/ctx.ts";
import { recordAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { secretValues } from "./provider-config.ts";
import { classifyProviderError, type ProviderFailure } from "./provider-errors.ts";
import { loadProviderConfig, providerSdk } from "./provider-cache.ts";

export type TestConnectionResult =
  | { ok: true; model: string; latencyMs: number }
  | { ok: false; model: string; latencyMs: number; error: Pick<ProviderFailure, "code" | "message"> };

const TEST_TIMEOUT_MS = 15_000;

/**
 * "Test connection": a one-word generation against the given model (or the provider's first chat
 * model), through the same guarded fetch chat uses. Failures come back as a category and a fixed
 * message; upstream text never does (it can echo the key).
 */
export async function testModelProvider(
  ctx: Ctx,
  id: string,
  raw: TestModelProviderInput = {},
): Promise<TestConnectionResult> {
  requirePermission(ctx, "model_provider.manage");
  const input = TestModelProviderInput.parse(raw);
  const config = await loadProviderConfig(ctx, id);
  if (!config) throw new AppError("not_found", "model provider not found");
  const model = input.model ?? config.models.find((m) => m.type === "llm")?.name;
  if (!model) {
    throw new AppError("validation_failed", "name a model to test: the provider lists no chat model");
  }
  const timeoutMs = Math.min(ctx.services.outbound?.timeoutMs ?? TEST_TIMEOUT_MS, TEST_TIMEOUT_MS);
  const started = performance.now();
  let result: TestConnectionResult;
  try {
    const sdk = await providerSdk(ctx, id);
    await generateText({
      model: sdk!.chat(model),
      prompt: "ping",
      maxOutputTokens: 5,
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    result = { ok: true, model, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const failure = classifyProviderError(err, secretValues(config.credentials));
    result = {
      ok: false,
      model,
      latencyMs: Math.round(performance.now() - started),
      error: { code: failure.code, message: failure.message },
    };
    ctx.log.info(
      { providerId: id, code: failure.code, status: failure.status },
      "model provider test failed",
    );
  }
  await recordAudit(ctx, {
    action: "model_provider.test",
    target: { type: "model_provider", id },
    outcome: result.ok ? "success" : "failure",
    details: { model, ok: result.ok, ...(result.ok ? {} : { error: result.error.code }) },
  });
  return result;
}
