import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { indexDocument } from "@enclave/core";
import { auditEvents, segments } from "@enclave/db";
import { auditRows } from "../helpers.ts";
import {
  createKnowledgeApp,
  PARAGRAPHS,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
  openDatasetApi,
  type DatasetCall,
} from "./knowledge-world.ts";

// Child chunks of parent-child documents over real HTTP: matched by retrieval, edited in place.

const HIERARCHICAL = {
  mode: "hierarchical",
  rules: {
    parent_mode: "paragraph",
    segmentation: { separator: "\\n\\n", max_tokens: 500 },
    subchunk_segmentation: { separator: ". ", max_tokens: 50 },
  },
};

describe("knowledge service API: child chunks", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let intruderKey: string;
  let ds: string;
  let docId: string;
  let parentId: string;
  let otherParent: string;
  let flatDoc: string;
  let flatSeg: string;

  let call: DatasetCall;

  const create = async (name: string, text: string, extra: Record<string, unknown>) => {
    const res = await call("POST", `/datasets/${ds}/document/create-by-text`, { name, text, ...extra });
    expect(res.status).toBe(200);
    const id = (res.data.document as { id: string }).id;
    await indexDocument(t.workerCtx(), { workspaceId: w.workspaceId, documentId: id });
    return id;
  };

  const retrieve = async (query: string) => {
    const res = await call("POST", `/datasets/${ds}/retrieve`, {
      query,
      retrieval_model: { search_method: "full_text_search", top_k: 5, score_threshold_enabled: false },
    });
    return (res.data.records as { segment: { id: string; content: string } }[]).map((r) => r.segment);
  };

  const CC = () => `/datasets/${ds}/documents/${docId}/segments/${parentId}/child_chunks`;

  beforeAll(async () => {
    t = await createKnowledgeApp(undefined, { startQueue: false });
    w = await setupKnowledgeWorld(t);
    ({ intruderKey, call } = await openDatasetApi(t, w));
    ds = (await call("POST", "/datasets", { name: "Parent child" })).data.id as string;
    docId = await create(
      "Field guide",
      "Herons wade in shallow water. Egrets follow cattle.\n\nOwls hunt at night. Swifts sleep on the wing.",
      { doc_form: "hierarchical_model", process_rule: HIERARCHICAL },
    );
    const parents = await t.database.db
      .select()
      .from(segments)
      .where(and(eq(segments.documentId, docId), eq(segments.role, "parent")))
      .orderBy(segments.position);
    parentId = parents[0]!.id;
    otherParent = parents[1]!.id;
    flatDoc = await create("Flat", "Plain general chunk.", { process_rule: PARAGRAPHS });
    flatSeg = (await t.database.db.select().from(segments).where(eq(segments.documentId, flatDoc)))[0]!.id;
  });
  afterAll(() => t.close());

  it("lists the splitter's children; add, edit and delete re-index the child", async () => {
    const list = await call("GET", CC());
    expect(list.status).toBe(200);
    expect(list.data).toMatchObject({ total: 2, total_pages: 1, page: 1, limit: 20 });
    const children = list.data.data as { id: string; content: string; position: number; type: string }[];
    expect(children.map((c) => c.position)).toEqual([1, 2]);
    expect(children[0]).toMatchObject({ segment_id: parentId, type: "automatic" });
    expect(children[0]!.content).toContain("Herons");

    const added = await call("POST", CC(), { content: "Kingfishers dive for minnows." });
    expect(added.status).toBe(200);
    expect(added.data.data).toMatchObject({ segment_id: parentId, position: 3, type: "customized" });
    const addedId = (added.data.data as { id: string }).id;
    // Matching the child returns the parent as context.
    const hit = await retrieve("kingfishers");
    expect(hit).toHaveLength(1);

    const edited = await call("PATCH", `${CC()}/${addedId}`, { content: "Cormorants dry their wings." });
    expect(edited.data.data).toMatchObject({ id: addedId, content: "Cormorants dry their wings." });
    expect(await retrieve("kingfishers")).toHaveLength(0);
    expect(await retrieve("cormorants")).toHaveLength(1);

    expect((await call("DELETE", `${CC()}/${addedId}`)).status).toBe(204);
    expect(await retrieve("cormorants")).toHaveLength(0);
    expect(((await call("GET", CC())).data.total as number) - 0).toBe(2);
    for (const a of ["create", "update", "delete"]) {
      const rows = await auditRows(t.database.db, eq(auditEvents.action, `dataset.child_chunk.${a}`));
      expect(rows.length, a).toBe(1);
    }
  });

  it("ids are scoped: another parent's child, a general-mode chunk, workspace B → 404/400, nothing written", async () => {
    const theirs = (
      await call("GET", `/datasets/${ds}/documents/${docId}/segments/${otherParent}/child_chunks`)
    ).data.data as { id: string }[];
    const foreignChild = theirs[0]!.id;
    expect((await call("PATCH", `${CC()}/${foreignChild}`, { content: "hijack" })).status).toBe(404);
    expect((await call("DELETE", `${CC()}/${foreignChild}`)).status).toBe(404);
    // A child id used as a parent id.
    expect(
      (
        await call("POST", `/datasets/${ds}/documents/${docId}/segments/${foreignChild}/child_chunks`, {
          content: "x",
        })
      ).status,
    ).toBe(404);
    // A general-mode document has no child chunks.
    const flat = await call("POST", `/datasets/${ds}/documents/${flatDoc}/segments/${flatSeg}/child_chunks`, {
      content: "x",
    });
    expect(flat.status).toBe(400);
    // The parent through another document id.
    expect(
      (await call("GET", `/datasets/${ds}/documents/${flatDoc}/segments/${parentId}/child_chunks`)).status,
    ).toBe(400);
    for (const [method, path, body] of [
      ["GET", CC(), undefined],
      ["POST", CC(), { content: "x" }],
      ["PATCH", `${CC()}/${foreignChild}`, { content: "x" }],
      ["DELETE", `${CC()}/${foreignChild}`, undefined],
    ] as const) {
      expect((await call(method, path, body, intruderKey)).status, `${method} ${path}`).toBe(404);
    }
    for (const body of [{ content: "" }, { content: "x", position: 1 }, { text: "x" }]) {
      const res = await call("POST", CC(), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.data).toMatchObject({ code: "invalid_param" });
    }
    const [row] = await t.database.db.select().from(segments).where(eq(segments.id, foreignChild));
    expect(row!.content).not.toBe("hijack");
    expect((await call("GET", CC())).data.total).toBe(2);
  });
});
