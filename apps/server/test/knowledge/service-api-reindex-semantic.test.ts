import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { indexDocument } from "@enclave/core";
import { queryRows } from "@enclave/db";
import type { FakeModelServer } from "../fixtures/fake-model-server.ts";
import {
  addEmbeddingProvider,
  createDataset,
  createKnowledgeApp,
  setupKnowledgeWorld,
  startFakeModelServer,
  type KnowledgeApp,
  type KnowledgeWorld,
  openDatasetApi,
  type DatasetCall,
} from "./knowledge-world.ts";

// update-by-text on a high_quality dataset: the new chunks arrive with their vectors in the same
// transaction that removes the old ones (pgvector: PGlite only, as for the other semantic tests).
const unit = (i: number) => Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0));
const VECTORS: Record<string, number[]> = {
  "Glaciers carve valleys.": unit(1),
  "find ice": unit(1),
  "Deserts hold little water.": unit(3),
  "find sand": unit(3),
};

describe("update-by-text re-embeds atomically (high_quality, PGlite with pgvector)", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let fake: FakeModelServer;
  let datasetId: string;

  let call: DatasetCall;
  const semantic = async (query: string) =>
    (
      (
        await call("POST", `/datasets/${datasetId}/retrieve`, {
          query,
          retrieval_model: { search_method: "semantic_search", top_k: 5, score_threshold_enabled: false },
        })
      ).data.records as { segment: { content: string }; score: number }[]
    ).map((r) => r.segment.content);
  const vectors = async (documentId: string) =>
    (
      await queryRows<{ content: string }>(
        t.database.db,
        sql`select s.content from segment_embeddings e join segments s on s.id = e.segment_id where s.document_id = ${documentId}::uuid`,
      )
    ).map((r) => r.content);

  beforeAll(async () => {
    fake = await startFakeModelServer();
    fake.embeddings({ vector: (text: string) => VECTORS[text.trim()] ?? unit(5) });
    t = await createKnowledgeApp("pglite", { startQueue: false });
    w = await setupKnowledgeWorld(t);
    const providerId = await addEmbeddingProvider(w.owner.client, fake);
    datasetId = await createDataset(w.owner.client, {
      name: "Landscapes",
      permission: "all_team_members",
      indexingTechnique: "high_quality",
      embeddingModel: { providerId, name: "embed-8" },
    });
    ({ call } = await openDatasetApi(t, w));
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it("old vectors answer until the swap; afterwards only the new chunk and its vector exist", async () => {
    const created = await call("POST", `/datasets/${datasetId}/document/create-by-text`, {
      name: "Geo",
      text: "Glaciers carve valleys.",
    });
    const id = (created.data.document as { id: string }).id;
    const run = () => indexDocument(t.workerCtx(), { workspaceId: w.workspaceId, documentId: id });
    await run();
    expect((await semantic("find ice"))[0]).toBe("Glaciers carve valleys.");

    const up = await call("POST", `/datasets/${datasetId}/documents/${id}/update-by-text`, {
      name: "Geo",
      text: "Deserts hold little water.",
    });
    expect(up.status).toBe(200);
    expect(await semantic("find ice")).toEqual(["Glaciers carve valleys."]);
    expect(await semantic("find sand")).toEqual([]);
    expect(await vectors(id)).toEqual(["Glaciers carve valleys."]);

    await run();
    expect(await vectors(id)).toEqual(["Deserts hold little water."]);
    expect(await semantic("find sand")).toEqual(["Deserts hold little water."]);
    expect(await semantic("find ice")).not.toContain("Glaciers carve valleys.");
    const status = await call("GET", `/datasets/${datasetId}/documents/${id}/indexing-status`);
    expect((status.data.data as unknown[])[0]).toMatchObject({
      indexing_status: "completed",
      completed_segments: 1,
      total_segments: 1,
    });
  });
});
