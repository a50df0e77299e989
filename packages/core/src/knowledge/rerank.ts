import { rerank } from "ai";
import type { RetrievalSettings } from "@enclave/contracts";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { classifyProviderError } from "../models/provider-errors.ts";
import { resolveRerankModel } from "../models/resolve-model.ts";

/** How many first-stage candidates a rerank model sees (it is the slow, paid step). */
export function rerankDepth(topK: number): number {
  return Math.min(Math.max(topK * 4, 20), 100);
}

/**
 * Re-orders retrieved items by a rerank model's relevance to `query` and returns them with that
 * score, best first. The model sees only the candidates' text; provider failures are a 502 with
 * the provider's message classified (never its echo of our request).
 */
export async function rerankItems<T>(
  ctx: Ctx,
  settings: NonNullable<RetrievalSettings["rerank"]>,
  query: string,
  items: T[],
  textOf: (item: T) => string,
): Promise<{ item: T; score: number }[]> {
  if (items.length === 0) return [];
  const model = await resolveRerankModel(ctx, { providerId: settings.providerId, name: settings.model });
  try {
    const { ranking } = await rerank({ model, query, documents: items.map(textOf), maxRetries: 1 });
    return ranking.map((r) => ({ item: items[r.originalIndex]!, score: r.score }));
  } catch (err) {
    throw new AppError("upstream_error", classifyProviderError(err).message);
  }
}
