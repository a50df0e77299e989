// A rerank model re-orders the first-stage candidates (issue 5 item 5): the console's hit testing
// and any app that sets `retrieval.rerank` see the rerank model's order and scores; a model that is
// not a listed rerank model, a provider of another workspace, and an upstream failure are clean 4xx/5xx.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.ts";
import {
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  DATASETS,
  PARAGRAPHS,
  settle,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

const PROVIDERS = "/console/api/workspaces/current/model-providers";

describe("rerank", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let fake: FakeModelServer;
  let datasetId: string;
  let providerId: string;

  beforeAll(async () => {
    fake = await startFakeModelServer();
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    const owner = w.owner.client;
    await owner.post("/console/api/workspaces/current/outbound-allowlist", { entry: "127.0.0.1" });
    const res = await owner.post(PROVIDERS, {
      kind: "openai_compatible",
      name: "reranker",
      baseUrl: fake.url,
      apiKey: "sk-rerank-canary-000000",
      models: [
        { name: "bge-reranker", type: "rerank" },
        { name: "chatty", type: "llm" },
      ],
    });
    providerId = (res.json() as { id: string }).id;
    datasetId = await createDataset(w.editor.client, { name: "Fleet", permission: "all_team_members" });
    const doc = await addTextDocument(
      w.editor.client,
      datasetId,
      "fleet.txt",
      [
        "Red trucks red trucks red trucks park in the north yard.",
        "The blue van and the red truck share a charging bay.",
        "Blue vans charge overnight in the south bay near the red truck wash.",
      ].join("\n\n"),
      { processRule: PARAGRAPHS },
    );
    await settle(t, [doc]);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const hit = (retrieval: Record<string, unknown>) =>
    w.member.client.post(`${DATASETS}/${datasetId}/hit-testing`, {
      query: "blue van charging bay",
      retrieval: { searchMethod: "full_text_search", topK: 3, ...retrieval },
    });

  it("orders the chunks by the rerank model's scores and sends it only the candidates' text", async () => {
    const res = await hit({ rerank: { providerId, model: "bge-reranker" } });
    expect(res.statusCode).toBe(200);
    const records = (res.json() as { records: { content: string; score: number }[] }).records;
    // The fake scores the share of query words present: 4/4, then 2/4 ("blue", "bay"), …
    expect(records[0]!.content).toContain("blue van and the red truck share a charging bay");
    expect(records[0]!.score).toBe(1);
    // "Blue vans charge … bay": blue, van, bay = 3/4. The red-trucks chunk matched no query word in
    // the first stage, so the reranker never saw it.
    expect(records.map((r) => r.score)).toEqual([1, 0.75]);
    const call = fake.requests.find((r) => r.path.endsWith("/rerank"))!;
    expect(call.body).toMatchObject({ model: "bge-reranker", query: "blue van charging bay" });
    expect(call.headers.authorization).toBe("Bearer sk-rerank-canary-000000");
  });

  it("applies score_threshold to the rerank scores", async () => {
    const res = await hit({ rerank: { providerId, model: "bge-reranker" }, scoreThreshold: 0.9 });
    const records = (res.json() as { records: { score: number }[] }).records;
    expect(records).toHaveLength(1);
    expect(records[0]!.score).toBe(1);
  });

  it("refuses a model that is not a listed rerank model, or another workspace's provider", async () => {
    const notRerank = await hit({ rerank: { providerId, model: "chatty" } });
    expect(notRerank.statusCode).toBe(400);
    expect(notRerank.json()).toMatchObject({ code: "provider_not_initialize" });
    const foreign = await hit({ rerank: { providerId: "00000000-0000-4000-8000-000000000000", model: "x" } });
    expect(foreign.statusCode).toBe(400);
    const bad = await hit({ rerank: { providerId, model: "bge-reranker", extra: 1 } });
    expect(bad.statusCode).toBe(400);
  });

  it("an upstream failure is a 502 that does not echo the key", async () => {
    const patched = await w.owner.client.patch(`${PROVIDERS}/${providerId}`, {
      models: [
        { name: "bge-reranker", type: "rerank" },
        { name: "broken-reranker", type: "rerank" },
      ],
    });
    expect(patched.statusCode).toBe(200);
    const res = await hit({ rerank: { providerId, model: "broken-reranker" } });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: "upstream_error" });
    expect(res.body).not.toContain("sk-rerank-canary");
  });

  it("Dify's retrieve takes reranking_model by provider name; an unknown provider is a 400", async () => {
    const key = await w.owner.client.post(`${DATASETS}/api-keys`, { name: "rerank-sdk" });
    const token = (key.json() as { token: string }).token;
    const retrieve = (reranking_model: Record<string, string>) =>
      t.app.inject({
        method: "POST",
        url: `/v1/datasets/${datasetId}/retrieve`,
        headers: { authorization: `Bearer ${token}` },
        payload: {
          query: "blue van charging bay",
          retrieval_model: {
            search_method: "full_text_search",
            reranking_enable: true,
            reranking_mode: "reranking_model",
            reranking_model,
            top_k: 3,
            score_threshold_enabled: false,
          },
        },
      });
    const res = await retrieve({ reranking_provider_name: "reranker", reranking_model_name: "bge-reranker" });
    expect(res.statusCode).toBe(200);
    const records = (res.json() as { records: { score: number; segment: { content: string } }[] }).records;
    expect(records.map((r) => r.score)).toEqual([1, 0.75]);
    expect(records[0]!.segment.content).toContain("charging bay");
    const unknown = await retrieve({ reranking_provider_name: "cohere", reranking_model_name: "rerank-v3" });
    expect(unknown.statusCode).toBe(400);
  });
});
