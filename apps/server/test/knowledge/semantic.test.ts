import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { indexDocument } from "@enclave/core";
import { queryRows, segments } from "@enclave/db";
import type { FakeModelServer } from "../fixtures/fake-model-server.ts";
import {
  addEmbeddingProvider,
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  DATASETS,
  documentRow,
  settle,
  setupKnowledgeWorld,
  startFakeModelServer,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

// Vectors the test controls (8 dimensions, like the fake's default ones).
const unit = (i: number) => Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0));
const QUERY = "solar panel maintenance schedule";
const VECTORS: [string, number[]][] = [
  [QUERY, unit(0)],
  ["photovoltaic upkeep calendar", unit(0)], // semantic twin, no shared word
  ["panel maintenance guide for the roof", [0.8, 0.6, 0, 0, 0, 0, 0, 0]], // the one that matters
  ["solar panel maintenance schedule solar panel maintenance schedule", unit(2)], // words only
];
const vectorFor = (text: string) => VECTORS.find(([k]) => text.trim() === k)?.[1] ?? unit(5);

async function embeddingCount(t: KnowledgeApp, documentId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.database.db,
    sql`select count(*)::int as n from segment_embeddings e join segments s on s.id = e.segment_id where s.document_id = ${documentId}::uuid`,
  );
  return row!.n;
}

// pgvector exists on PGlite only in CI, so these run there (full text runs on both elsewhere).
describe("high_quality knowledge base (PGlite with pgvector)", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let fake: FakeModelServer;
  let providerId: string;
  let datasetId: string;

  beforeAll(async () => {
    fake = await startFakeModelServer();
    fake.embeddings({ vector: vectorFor });
    t = await createKnowledgeApp("pglite");
    w = await setupKnowledgeWorld(t);
    providerId = await addEmbeddingProvider(w.owner.client, fake);
    datasetId = await createDataset(w.editor.client, {
      name: "Energy",
      permission: "all_team_members",
      indexingTechnique: "high_quality",
      embeddingModel: { providerId, name: "embed-8" },
    });
    const text = VECTORS.slice(1)
      .map(([k]) => k)
      .concat(["The cafeteria serves lunch at noon.", "Parking permits renew every January."])
      .join("\n\n");
    const doc = await addTextDocument(w.editor.client, datasetId, "Facilities", text);
    await settle(t, [doc]);
    expect(await documentRow(t, doc)).toMatchObject({
      status: "completed",
      progressDone: 5,
      progressTotal: 5,
    });
    expect(await embeddingCount(t, doc)).toBe(5);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  const search = async (searchMethod: string, extra: Record<string, unknown> = {}) => {
    const res = await w.member.client.post(`${DATASETS}/${datasetId}/hit-testing`, {
      query: QUERY,
      retrieval: { searchMethod, topK: 3, ...extra },
    });
    expect(res.statusCode).toBe(200);
    return (res.json() as { records: { content: string; score: number }[] }).records;
  };

  it("semantic alone ranks the vector twin first, full text alone the keyword copy", async () => {
    expect((await search("semantic_search"))[0]!.content).toBe("photovoltaic upkeep calendar");
    expect((await search("full_text_search"))[0]!.content).toContain(
      "solar panel maintenance schedule solar",
    );
  });

  it("hybrid (weighted and RRF) ranks the chunk both agree on first", async () => {
    for (const hybridMethod of ["weighted_score", "rrf"]) {
      const records = await search("hybrid_search", { hybridMethod, vectorWeight: 0.5 });
      expect(records[0]!.content, hybridMethod).toBe("panel maintenance guide for the roof");
      expect(records[0]!.score).toBeGreaterThan(records[1]!.score);
      expect(records[0]!.score).toBeLessThanOrEqual(1);
    }
  });

  it("semantic scores are cosine similarities, best first", async () => {
    const records = await search("semantic_search", { topK: 5 });
    expect(records.map((r) => r.score)).toEqual([...records.map((r) => r.score)].sort((a, b) => b - a));
    expect(records[0]!.score).toBeCloseTo(1, 5);
  });

  it("economy → high_quality re-embeds every document; the reverse is refused", async () => {
    const eco = await createDataset(w.editor.client, { name: "Later", permission: "all_team_members" });
    const doc = await addTextDocument(
      w.editor.client,
      eco,
      "Notes",
      "photovoltaic upkeep calendar\n\nnothing else",
    );
    await settle(t, [doc]);
    expect(await embeddingCount(t, doc)).toBe(0);
    const up = await w.editor.client.patch(`${DATASETS}/${eco}`, {
      indexingTechnique: "high_quality",
      embeddingModel: { providerId, name: "embed-8" },
    });
    expect(up.statusCode).toBe(200);
    await settle(t, [doc]);
    expect(await documentRow(t, doc)).toMatchObject({ status: "completed" });
    expect(await embeddingCount(t, doc)).toBe(2);
    const res = await w.member.client.post(`${DATASETS}/${eco}/hit-testing`, {
      query: QUERY,
      retrieval: { searchMethod: "semantic_search", topK: 1 },
    });
    expect((res.json() as { records: { content: string }[] }).records[0]!.content).toBe(
      "photovoltaic upkeep calendar",
    );
    const down = await w.editor.client.patch(`${DATASETS}/${eco}`, { indexingTechnique: "economy" });
    expect(down.statusCode).toBe(400);
    expect((await w.editor.client.get(`${DATASETS}/${eco}`)).json()).toMatchObject({
      indexingTechnique: "high_quality",
    });
  });

  it("high_quality needs an embedding model of this workspace", async () => {
    const none = await w.editor.client.post(DATASETS, {
      name: "No model",
      indexingTechnique: "high_quality",
    });
    expect(none.json()).toMatchObject({ code: "dataset_not_initialized" });
    const foreign = await w.intruder.post(DATASETS, {
      name: "Borrowed",
      indexingTechnique: "high_quality",
      embeddingModel: { providerId, name: "embed-8" },
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({ code: "provider_not_initialize" });
  });

  it("HNSW indexes are built with m 24 / ef_construction 128 (the benchmark's recall rests on it)", async () => {
    const rows = await queryRows<{ indexname: string; indexdef: string }>(
      t.database.db,
      sql`select indexname, indexdef from pg_indexes where tablename = 'segment_embeddings' and indexdef like '%hnsw%'`,
    );
    expect(rows.map((r) => r.indexname).sort()).toEqual(
      [1024, 1536, 256, 384, 512, 768].map((d) => `segment_embeddings_hnsw_${d}`),
    );
    for (const r of rows) expect(r.indexdef).toMatch(/WITH \(m='?24'?, ef_construction='?128'?\)/);
  });
});

describe("indexing is idempotent and resumable", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let fake: FakeModelServer;
  let datasetId: string;
  const text = Array.from({ length: 10 }, (_, i) => `Paragraph number ${i + 1} about topic ${i * 7}.`).join(
    "\n\n",
  );

  beforeAll(async () => {
    fake = await startFakeModelServer();
    // The queue is not started: the test plays the worker, dying and restarting at will.
    t = await createKnowledgeApp("pglite", { startQueue: false });
    w = await setupKnowledgeWorld(t);
    const providerId = await addEmbeddingProvider(w.owner.client, fake);
    datasetId = await createDataset(w.editor.client, {
      name: "Resumable",
      indexingTechnique: "high_quality",
      embeddingModel: { providerId, name: "embed-8" },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  async function assertExactlyOnce(documentId: string) {
    const rows = await t.database.db.select().from(segments).where(eq(segments.documentId, documentId));
    expect(rows.map((r) => r.position).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(rows.map((r) => r.contentHash)).size).toBe(10);
    expect(await embeddingCount(t, documentId)).toBe(10);
  }

  it("the provider dies after 2 batches: error with progress kept; the re-run embeds only the rest", async () => {
    const doc = await addTextDocument(w.editor.client, datasetId, "Ten", text);
    const target = { workspaceId: w.workspaceId, documentId: doc };
    fake.embeddings({ failAfter: 2 });
    await expect(indexDocument(t.workerCtx(), target, { batchSize: 3 })).rejects.toThrow();
    const failed = await documentRow(t, doc);
    expect(failed).toMatchObject({ status: "error", progressDone: 6, progressTotal: 10 });
    expect(failed.error).toMatch(/indexing failed/);
    expect(failed.error).not.toContain("sk-test");
    expect(await embeddingCount(t, doc)).toBe(6);

    fake.embeddings({ failAfter: null });
    const before = fake.requests.filter((r) => r.path.endsWith("/embeddings")).length;
    await indexDocument(t.workerCtx(), target, { batchSize: 3 });
    const inputs = fake.requests
      .filter((r) => r.path.endsWith("/embeddings"))
      .slice(before)
      .flatMap((r) => r.body!.input as string[]);
    expect(inputs).toHaveLength(4);
    expect(await documentRow(t, doc)).toMatchObject({ status: "completed", progressDone: 10, error: null });
    await assertExactlyOnce(doc);
    // A third run (a duplicate job) changes nothing.
    await indexDocument(t.workerCtx(), target, { batchSize: 3 });
    await assertExactlyOnce(doc);
  });

  it("a worker killed mid-document and one restarted alongside it still write every chunk once", async () => {
    const doc = await addTextDocument(w.editor.client, datasetId, "Ten again", text);
    const target = { workspaceId: w.workspaceId, documentId: doc };
    await Promise.all([
      indexDocument(t.workerCtx(), target, { batchSize: 2 }),
      indexDocument(t.workerCtx(), target, { batchSize: 3 }),
    ]);
    await assertExactlyOnce(doc);
    expect(await documentRow(t, doc)).toMatchObject({ status: "completed" });
  });

  it("pause stops between batches; resume carries on without duplicates", async () => {
    const doc = await addTextDocument(w.editor.client, datasetId, "Pausable", text);
    const target = { workspaceId: w.workspaceId, documentId: doc };
    fake.embeddings({ failAfter: 1 });
    await expect(indexDocument(t.workerCtx(), target, { batchSize: 4 })).rejects.toThrow();
    fake.embeddings({ failAfter: null });
    const pause = await w.editor.client.post(`${DATASETS}/${datasetId}/documents/${doc}/resume`);
    expect(pause.statusCode).toBe(200);
    await w.editor.client.post(`${DATASETS}/${datasetId}/documents/${doc}/pause`);
    await indexDocument(t.workerCtx(), target, { batchSize: 4 });
    expect(await documentRow(t, doc)).toMatchObject({ status: "paused", progressDone: 4 });
    await w.editor.client.post(`${DATASETS}/${datasetId}/documents/${doc}/resume`);
    await indexDocument(t.workerCtx(), target, { batchSize: 4 });
    await assertExactlyOnce(doc);
  });
});
