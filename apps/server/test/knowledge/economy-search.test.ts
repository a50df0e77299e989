import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseKinds } from "@enclave/db/testing";
import {
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  DATASETS,
  settle,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

// Full text works with no model configured at all, for Chinese and Japanese as for English.
describe.each(testDatabaseKinds())("economy knowledge base on %s", (kind) => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let datasetId: string;
  const docs: Record<string, string> = {};

  beforeAll(async () => {
    t = await createKnowledgeApp(kind);
    w = await setupKnowledgeWorld(t);
    datasetId = await createDataset(w.editor.client, { name: "Policies", permission: "all_team_members" });
    docs.zh = await addTextDocument(
      w.editor.client,
      datasetId,
      "数据政策",
      "我们的公司重视用户隐私。\n\n数据主权意味着数据存储在本地服务器上，并受本国法律管辖。\n\n员工每年接受安全培训。",
    );
    docs.ja = await addTextDocument(
      w.editor.client,
      datasetId,
      "ログ方針",
      "サポートチームは丁寧に対応します。\n\n会話ログは三十日後に自動的に削除されます。\n\n料金は月末に請求されます。",
    );
    docs.en = await addTextDocument(
      w.editor.client,
      datasetId,
      "Handbook",
      "Vacation requests go to your manager.\n\nThe office closes at six on Fridays.",
    );
    docs.common = await addTextDocument(
      w.editor.client,
      datasetId,
      "Noise",
      "office office office office office office.\n\nRegional office list.",
      { metadata: { region: "apac", year: 2023 } },
    );
    docs.eu = await addTextDocument(w.editor.client, datasetId, "EU annex", "Office hours in the EU annex.", {
      metadata: { region: "eu", year: 2025, reviewed: "2025-06-01T00:00:00.000Z" },
    });
    await settle(t, Object.values(docs));
  });
  afterAll(() => t.close());

  it("indexes every document to completed with progress done = total", async () => {
    for (const id of Object.values(docs)) {
      const res = await w.member.client.get(`${DATASETS}/${datasetId}/documents/${id}/indexing-status`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { status: string; progress: { done: number; total: number } };
      expect(body.status).toBe("completed");
      expect(body.progress.total).toBe(body.progress.done);
      expect(body.progress.total).toBeGreaterThan(id === docs.eu ? 0 : 1);
    }
  });

  const hit = async (query: string, extra: Record<string, unknown> = {}) => {
    const res = await w.member.client.post(`${DATASETS}/${datasetId}/hit-testing`, { query, ...extra });
    expect(res.statusCode).toBe(200);
    return (res.json() as { records: { content: string; documentId: string; score: number }[] }).records;
  };

  it("数据主权 finds its Chinese chunk first", async () => {
    const records = await hit("数据主权");
    expect(records[0]).toMatchObject({ documentId: docs.zh });
    expect(records[0]!.content).toContain("数据主权");
    expect(records[0]!.score).toBeGreaterThan(0);
    expect(records[0]!.score).toBeLessThan(1);
  });

  it("会話ログ finds its Japanese chunk first", async () => {
    const records = await hit("会話ログ");
    expect(records[0]).toMatchObject({ documentId: docs.ja });
    expect(records[0]!.content).toContain("会話ログ");
  });

  it("English works too, top_k and score_threshold apply", async () => {
    const records = await hit("office Fridays");
    expect(records[0]!.content).toContain("office closes");
    expect(await hit("office", { retrieval: { topK: 1 } })).toHaveLength(1);
    expect(await hit("office", { retrieval: { scoreThreshold: 0.99 } })).toHaveLength(0);
    expect(await hit("zzzz-nothing-matches")).toEqual([]);
  });

  it("a rare word outweighs a common one repeated (idf weighting)", async () => {
    const records = await hit("office closes");
    expect(records[0]!.content).toContain("office closes");
  });

  it("metadata filters: built-in and custom string, number and time fields", async () => {
    const filtered = async (conditions: unknown[], logicalOperator = "and") =>
      (await hit("office", { retrieval: { metadataFilter: { logicalOperator, conditions } } })).map(
        (r) => r.documentId,
      );
    expect(new Set(await filtered([{ name: "region", comparisonOperator: "is", value: "eu" }]))).toEqual(
      new Set([docs.eu]),
    );
    expect(new Set(await filtered([{ name: "year", comparisonOperator: "<", value: 2024 }]))).toEqual(
      new Set([docs.common]),
    );
    expect(
      new Set(await filtered([{ name: "reviewed", comparisonOperator: "after", value: "2025-01-01" }])),
    ).toEqual(new Set([docs.eu]));
    expect(
      new Set(await filtered([{ name: "document_name", comparisonOperator: "contains", value: "hand" }])),
    ).toEqual(new Set([docs.en]));
    expect(
      new Set(
        await filtered(
          [
            { name: "region", comparisonOperator: "is", value: "eu" },
            { name: "document_name", comparisonOperator: "start with", value: "Hand" },
          ],
          "or",
        ),
      ),
    ).toEqual(new Set([docs.eu, docs.en]));
    expect(await filtered([{ name: "source", comparisonOperator: "is", value: "upload_file" }])).toEqual([]);
    expect(
      await filtered([{ name: "upload_date", comparisonOperator: "before", value: "2000-01-01" }]),
    ).toEqual([]);
    // A number operator on text, a bad date, a bad field name: 400, never 500.
    for (const c of [
      { name: "region", comparisonOperator: ">", value: "eu" },
      { name: "upload_date", comparisonOperator: "after", value: "not a date" },
      { name: "x'; drop table segments; --", comparisonOperator: "is", value: "a" },
    ]) {
      const res = await w.member.client.post(`${DATASETS}/${datasetId}/hit-testing`, {
        query: "office",
        retrieval: { metadataFilter: { conditions: [c] } },
      });
      expect(res.statusCode).toBe(400);
    }
  });

  it("hostile query syntax is just words, never a 5xx", async () => {
    for (const q of ["'&|!:*()", "a & b | !c", "\\'; drop table segments; --", "<->", "数据 & 主权 !"]) {
      const res = await w.member.client.post(`${DATASETS}/${datasetId}/hit-testing`, { query: q });
      expect(res.statusCode).toBe(200);
    }
  });

  it("a disabled chunk or document is not retrieved", async () => {
    const list = await w.editor.client.get(`${DATASETS}/${datasetId}/documents/${docs.zh}/segments`);
    const seg = (list.json() as { data: { id: string; content: string }[] }).data.find((s) =>
      s.content.includes("数据主权"),
    )!;
    const off = await w.editor.client.post(
      `${DATASETS}/${datasetId}/documents/${docs.zh}/segments/${seg.id}/disable`,
    );
    expect(off.statusCode).toBe(200);
    expect((await hit("数据主权")).some((r) => r.content.includes("数据主权"))).toBe(false);
    await w.editor.client.post(`${DATASETS}/${datasetId}/documents/${docs.zh}/segments/${seg.id}/enable`);
    expect((await hit("数据主权"))[0]!.content).toContain("数据主权");
    await w.editor.client.patch(`${DATASETS}/${datasetId}/documents/${docs.ja}`, { enabled: false });
    expect(await hit("会話ログ")).toEqual([]);
    await w.editor.client.patch(`${DATASETS}/${datasetId}/documents/${docs.ja}`, { enabled: true });
  });

  it("editing a chunk re-indexes it: the new words match, the old ones no longer do", async () => {
    const list = await w.editor.client.get(`${DATASETS}/${datasetId}/documents/${docs.en}/segments`);
    const seg = (list.json() as { data: { id: string; content: string }[] }).data.find((s) =>
      s.content.includes("Vacation"),
    )!;
    const res = await w.editor.client.patch(
      `${DATASETS}/${datasetId}/documents/${docs.en}/segments/${seg.id}`,
      {
        content: "Parental leave is sixteen weeks.",
      },
    );
    expect(res.statusCode).toBe(200);
    expect((await hit("parental leave"))[0]!.content).toContain("sixteen weeks");
    expect((await hit("vacation")).some((r) => r.content.includes("Vacation"))).toBe(false);
  });

  it("high_quality is refused where pgvector is missing, and economy cannot lose that check", async () => {
    if (kind !== "postgres") return;
    const res = await w.editor.client.post(DATASETS, {
      name: "Semantic",
      indexingTechnique: "high_quality",
      embeddingModel: { providerId: "00000000-0000-7000-8000-000000000000", name: "x" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "vector_store_unavailable" });
  });
});
