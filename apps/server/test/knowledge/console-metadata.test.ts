import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

// The console's metadata routes: fields, the built-in switch and one document's values, checked
// against dataset visibility and roles, and used by a filtered hit test.
describe("console metadata routes", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let ds = "";
  const doc = { a: "", b: "" };
  let fieldId = "";

  const M = () => `${DATASETS}/${ds}/metadata`;
  const hits = async (filter: unknown) => {
    const res = await w.editor.client.post(`${DATASETS}/${ds}/hit-testing`, {
      query: "lighthouse",
      retrieval: { searchMethod: "full_text_search", topK: 10, metadataFilter: filter },
    });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { records: { documentId: string }[] }).records.map((r) => r.documentId);
  };

  beforeAll(async () => {
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    ds = await createDataset(w.editor.client, { name: "Logs", permission: "only_me" });
    doc.a = await addTextDocument(w.editor.client, ds, "North", "The north lighthouse keeper's log.");
    doc.b = await addTextDocument(w.editor.client, ds, "South", "The south lighthouse keeper's log.");
    await settle(t, [doc.a, doc.b]);
  });
  afterAll(() => t.close());

  it("creates, lists, renames a field; duplicates 409, bad names 400 with a code", async () => {
    const created = await w.editor.client.post(M(), { name: "region", type: "string" });
    expect(created.statusCode, created.body).toBe(201);
    fieldId = (created.json() as { id: string }).id;
    expect((await w.editor.client.post(M(), { name: "region", type: "string" })).json()).toMatchObject({
      code: "conflict",
    });
    for (const body of [
      { name: "bad name", type: "string" },
      { name: "x", type: "date" },
      { name: "document_name", type: "string" },
      { name: "x", type: "string", extra: 1 },
    ]) {
      const res = await w.editor.client.post(M(), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect((res.json() as { code: string }).code).toBe("validation_failed");
    }
    const pages = await w.editor.client.post(M(), { name: "pages", type: "number" });
    const pagesId = (pages.json() as { id: string }).id;
    expect((await w.editor.client.patch(`${M()}/${pagesId}`, { name: "page_count" })).statusCode).toBe(200);
    expect((await w.editor.client.delete(`${M()}/${pagesId}`)).statusCode).toBe(204);
    const list = await w.editor.client.get(M());
    expect(list.json()).toMatchObject({
      fields: [{ id: fieldId, name: "region", type: "string", count: 0 }],
      builtInEnabled: false,
      builtIn: expect.arrayContaining([{ name: "document_name", type: "string" }]),
    });
  });

  it("toggles the built-in fields", async () => {
    const on = await w.editor.client.post(`${M()}/built-in/enable`);
    expect(on.json()).toEqual({ builtInEnabled: true });
    expect((await w.editor.client.get(M())).json()).toMatchObject({ builtInEnabled: true });
    expect((await w.editor.client.post(`${M()}/built-in/maybe`)).statusCode).toBe(400);
  });

  it("sets a document's value (type-checked) and a filtered hit test returns only that document", async () => {
    const url = `${DATASETS}/${ds}/documents/${doc.a}/metadata`;
    const put = (body: unknown) => w.editor.client.request("PUT", url, body);
    const bad = await put({ values: [{ fieldId, name: "region", value: 7 }] });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { code: string }).code).toBe("validation_failed");
    expect((await put({ values: [{ fieldId, name: "other", value: "x" }] })).statusCode).toBe(400);
    const ok = await put({ values: [{ fieldId, name: "region", value: "north" }] });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ id: doc.a, metadata: { region: "north" } });

    expect((await hits(null)).sort()).toEqual([doc.a, doc.b].sort());
    const filter = {
      logicalOperator: "and",
      conditions: [{ name: "region", comparisonOperator: "is", value: "north" }],
    };
    expect(await hits(filter)).toEqual([doc.a]);
    const notIn = { conditions: [{ name: "region", comparisonOperator: "not in", value: ["north"] }] };
    expect(await hits(notIn)).toEqual([doc.b]);

    const cleared = await put({ values: [{ fieldId, name: "region", value: null }] });
    expect(cleared.json()).toMatchObject({ metadata: {} });
  });

  it("the document PATCH checks a declared field's type too; undeclared names stay free-form", async () => {
    const url = `${DATASETS}/${ds}/documents/${doc.b}`;
    const before = (await w.editor.client.get(url)).json() as { name: string; metadata: unknown };
    const bad = await w.editor.client.patch(url, { name: "renamed", metadata: { region: 7 } });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { code: string }).code).toBe("validation_failed");
    // Nothing of the refused update was written, the rename included.
    expect((await w.editor.client.get(url)).json()).toMatchObject(before);
    const ok = await w.editor.client.patch(url, { metadata: { region: "south", tag: 3 } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ metadata: { region: "south", tag: 3 } });
  });

  it("a member may read but not write (403); an editor who cannot see the dataset gets 404", async () => {
    const team = await createDataset(w.editor.client, { name: "Team", permission: "all_team_members" });
    expect((await w.member.client.get(`${DATASETS}/${team}/metadata`)).statusCode).toBe(200);
    const write = await w.member.client.post(`${DATASETS}/${team}/metadata`, { name: "x", type: "string" });
    expect(write.statusCode).toBe(403);
    expect((write.json() as { code: string }).code).toBeTruthy();
    for (const res of [
      await w.editor2.client.get(M()),
      await w.editor2.client.post(M(), { name: "planted", type: "string" }),
      await w.editor2.client.patch(`${M()}/${fieldId}`, { name: "renamed" }),
      await w.editor2.client.delete(`${M()}/${fieldId}`),
      await w.editor2.client.post(`${M()}/built-in/disable`),
      await w.editor2.client.request("PUT", `${DATASETS}/${ds}/documents/${doc.a}/metadata`, {
        values: [{ fieldId, name: "region", value: "pwned" }],
      }),
      await w.intruder.get(M()),
    ])
      expect(res.statusCode).toBe(404);
    expect((await w.editor.client.get(M())).json()).toMatchObject({
      fields: [{ name: "region" }],
      builtInEnabled: true,
    });
  });
});
