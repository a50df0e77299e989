import type { RerankingModelV4, RerankingModelV4CallOptions, RerankingModelV4Result } from "@ai-sdk/provider";
import { z } from "zod";

// The rerank API the OpenAI-compatible servers share (Jina's, adopted by vLLM, Xinference,
// LocalAI, SiliconFlow, Cohere's v2 compatible endpoints): POST {base}/rerank with
// { model, query, documents, top_n } → { results: [{ index, relevance_score }] }.

const RerankResponse = z.object({
  results: z
    .array(z.object({ index: z.number().int().nonnegative(), relevance_score: z.number() }))
    .max(10_000),
});

/** An upstream refusal with its status, shaped like the SDK's call errors for classifyProviderError. */
export class RerankCallError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = "AI_APICallError";
    this.statusCode = statusCode;
  }
}

export function openAICompatibleReranker(opts: {
  baseUrl: string;
  apiKey: string | undefined;
  modelId: string;
  fetch: typeof globalThis.fetch;
}): RerankingModelV4 {
  return {
    specificationVersion: "v4",
    provider: "openai_compatible.rerank",
    modelId: opts.modelId,
    async doRerank(options: RerankingModelV4CallOptions): Promise<RerankingModelV4Result> {
      const documents =
        options.documents.type === "text"
          ? options.documents.values
          : options.documents.values.map((v) => JSON.stringify(v));
      const res = await opts.fetch(`${opts.baseUrl.replace(/\/+$/, "")}/rerank`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: opts.modelId,
          query: options.query,
          documents,
          ...(options.topN !== undefined ? { top_n: options.topN } : {}),
          return_documents: false,
        }),
        ...(options.abortSignal ? { signal: options.abortSignal } : {}),
      });
      // The body of an error is not passed on: providers echo request headers (the key) in them.
      if (!res.ok) {
        await res.body?.cancel();
        throw new RerankCallError(res.status, `the rerank model answered HTTP ${res.status}`);
      }
      const parsed = RerankResponse.safeParse(await res.json().catch(() => null));
      if (!parsed.success) throw new RerankCallError(502, "the rerank model's answer is not a rerank result");
      const ranking = parsed.data.results
        .filter((r) => r.index < documents.length)
        .map((r) => ({ index: r.index, relevanceScore: r.relevance_score }));
      return { ranking };
    },
  };
}
