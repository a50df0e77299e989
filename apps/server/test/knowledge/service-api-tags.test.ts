import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents, datasetTagBindings, knowledgeTags } from "@enclave/db";
import { auditRows } from "../helpers.ts";
import {
  createDataset as createViaConsole,
  createKnowledgeApp,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
  openDatasetApi,
  type DatasetApiResponse,
  type DatasetCall,
} from "./knowledge-world.ts";

// Dify's knowledge tags over real HTTP with dataset keys of two workspaces.
type Res = DatasetApiResponse;

describe("knowledge service API: tags", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let intruderKey: string;

  let call: DatasetCall;
  const obj = (r: Res) => r.data as Record<string, unknown>;

  beforeAll(async () => {
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    ({ intruderKey, call } = await openDatasetApi(t, w));
  });
  afterAll(() => t.close());

  it("create, list, rename, bind, filter datasets by tag, unbind, delete", async () => {
    const a = obj(await call("POST", "/datasets", { name: "Tagged A" })).id as string;
    const b = obj(await call("POST", "/datasets", { name: "Tagged B" })).id as string;
    const c = obj(await call("POST", "/datasets", { name: "Untagged C" })).id as string;

    const docs = await call("POST", "/datasets/tags", { name: "Product Docs" });
    expect(docs.status).toBe(200);
    expect(docs.data).toEqual({
      id: expect.any(String),
      name: "Product Docs",
      type: "knowledge",
      binding_count: "0",
    });
    const docsId = obj(docs).id as string;
    const legal = obj(await call("POST", "/datasets/tags", { name: "Legal" })).id as string;
    expect((await call("POST", "/datasets/tags", { name: "Legal" })).status).toBe(409);

    expect(
      (await call("POST", "/datasets/tags/binding", { tag_ids: [docsId, legal], target_id: a })).status,
    ).toBe(204);
    // Binding again is idempotent.
    expect((await call("POST", "/datasets/tags/binding", { tag_ids: [docsId], target_id: a })).status).toBe(
      204,
    );
    expect((await call("POST", "/datasets/tags/binding", { tag_ids: [legal], target_id: b })).status).toBe(
      204,
    );

    const list = (await call("GET", "/datasets/tags")).data as unknown as {
      name: string;
      binding_count: string;
    }[];
    expect(list.map((x) => [x.name, x.binding_count])).toEqual([
      ["Product Docs", "1"],
      ["Legal", "2"],
    ]);
    expect(obj(await call("GET", `/datasets/${a}/tags`))).toEqual({
      data: [
        { id: legal, name: "Legal" },
        { id: docsId, name: "Product Docs" },
      ],
      total: 2,
    });
    const one = obj(await call("GET", `/datasets/${a}`));
    expect((one.tags as { name: string }[]).map((x) => x.name)).toEqual(["Legal", "Product Docs"]);

    const byTag = async (q: string) =>
      ((obj(await call("GET", `/datasets?${q}`)).data as { id: string }[]).map((d) => d.id) ?? []).sort();
    expect(await byTag(`tag_ids=${docsId}`)).toEqual([a]);
    expect(await byTag(`tag_ids=${legal}`)).toEqual([a, b].sort());
    expect(await byTag(`tag_ids=${docsId}&tag_ids=${legal}`)).toEqual([a, b].sort());
    expect(await byTag("")).toEqual(expect.arrayContaining([a, b, c]));
    expect((await call("GET", "/datasets?tag_ids=not-a-uuid")).status).toBe(400);

    const renamed = await call("PATCH", "/datasets/tags", { tag_id: legal, name: "Legal & Compliance" });
    expect(renamed.data).toMatchObject({ id: legal, name: "Legal & Compliance", binding_count: "2" });
    expect((await call("PATCH", "/datasets/tags", { tag_id: legal, name: "Product Docs" })).status).toBe(409);

    expect((await call("POST", "/datasets/tags/unbinding", { tag_ids: [legal], target_id: a })).status).toBe(
      204,
    );
    expect((await call("POST", "/datasets/tags/unbinding", { tag_id: legal, target_id: b })).status).toBe(
      204,
    );
    expect(await byTag(`tag_ids=${legal}`)).toEqual([]);

    expect((await call("DELETE", "/datasets/tags", { tag_id: docsId })).status).toBe(204);
    expect(obj(await call("GET", `/datasets/${a}/tags`)).total).toBe(0);
    expect(
      await t.database.db.select().from(datasetTagBindings).where(eq(datasetTagBindings.tagId, docsId)),
    ).toEqual([]);
    for (const action of ["create", "rename", "bind", "unbind", "delete"]) {
      const n = await auditRows(t.database.db, eq(auditEvents.action, `dataset.tag.${action}`));
      expect(n.length, action).toBeGreaterThan(0);
    }
  });

  it("bad bodies are 400 with nothing written", async () => {
    const before = (await t.database.db.select().from(knowledgeTags)).length;
    for (const [method, path, body] of [
      ["POST", "/datasets/tags", { name: "" }],
      ["POST", "/datasets/tags", { name: "x".repeat(51) }],
      ["POST", "/datasets/tags", { name: "ok", workspace_id: w.intruderWorkspaceId }],
      ["POST", "/datasets/tags", { name: "ok", type: "app" }],
      ["PATCH", "/datasets/tags", { name: "no id" }],
      ["POST", "/datasets/tags/binding", { tag_ids: [], target_id: "00000000-0000-7000-8000-000000000000" }],
      ["POST", "/datasets/tags/unbinding", { target_id: "00000000-0000-7000-8000-000000000000" }],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(obj(res)).toMatchObject({ code: "invalid_param" });
    }
    expect((await t.database.db.select().from(knowledgeTags)).length).toBe(before);
  });

  it("tags are workspace-scoped: B's key cannot see, rename, delete or bind A's tags, nor tag A's datasets", async () => {
    const aTag = obj(await call("POST", "/datasets/tags", { name: "A only" })).id as string;
    const aDataset = obj(await call("POST", "/datasets", { name: "A data" })).id as string;
    const bTag = obj(await call("POST", "/datasets/tags", { name: "B only" }, intruderKey)).id as string;
    const bDataset = await createViaConsole(w.intruder, { name: "B data", permission: "all_team_members" });

    const bList = (await call("GET", "/datasets/tags", undefined, intruderKey)).data as unknown as {
      id: string;
    }[];
    expect(bList.map((x) => x.id)).toEqual([bTag]);
    expect((await call("PATCH", "/datasets/tags", { tag_id: aTag, name: "pwned" }, intruderKey)).status).toBe(
      404,
    );
    expect((await call("DELETE", "/datasets/tags", { tag_id: aTag }, intruderKey)).status).toBe(404);
    // B's tag onto A's dataset, A's tag onto B's dataset, A's dataset's tags read by B.
    expect(
      (await call("POST", "/datasets/tags/binding", { tag_ids: [bTag], target_id: aDataset }, intruderKey))
        .status,
    ).toBe(404);
    expect(
      (await call("POST", "/datasets/tags/binding", { tag_ids: [aTag], target_id: bDataset }, intruderKey))
        .status,
    ).toBe(404);
    expect(
      (await call("POST", "/datasets/tags/binding", { tag_ids: [bTag], target_id: aDataset })).status,
    ).toBe(404);
    expect((await call("GET", `/datasets/${aDataset}/tags`, undefined, intruderKey)).status).toBe(404);
    expect((await call("GET", `/datasets?tag_ids=${aTag}`, undefined, intruderKey)).data).toMatchObject({
      total: 0,
    });
    expect(
      (await t.database.db.select().from(knowledgeTags).where(eq(knowledgeTags.id, aTag)))[0]!.name,
    ).toBe("A only");
    expect(await t.database.db.select().from(datasetTagBindings)).toEqual([]);
  });
});
