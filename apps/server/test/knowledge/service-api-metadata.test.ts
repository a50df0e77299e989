import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { indexDocument } from "@enclave/core";
import { auditEvents, documents } from "@enclave/db";
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

// Dify's metadata API (fields, built-in switch, values per document) and metadata filters in
// retrieval, over real HTTP with a dataset key.
type Cond = { name: string; comparison_operator: string; value?: unknown };

describe("knowledge service API: metadata fields, document values and retrieval filters", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let intruderKey: string;
  let ds: string;
  let other: string;
  const doc: Record<"ada" | "grace" | "plain", string> = { ada: "", grace: "", plain: "" };
  const field: Record<string, string> = {};

  let call: DatasetCall;

  const textDoc = async (datasetId: string, name: string, text: string) => {
    const res = await call("POST", `/datasets/${datasetId}/document/create-by-text`, {
      name,
      text,
      process_rule: PARAGRAPHS,
    });
    const id = (res.data.document as { id: string }).id;
    await indexDocument(t.workerCtx(), { workspaceId: w.workspaceId, documentId: id });
    return id;
  };

  /** Names of the documents a filtered full-text query for "compass" returns. */
  const filtered = async (conditions: Cond[], logical_operator: "and" | "or" = "and") => {
    const res = await call("POST", `/datasets/${ds}/retrieve`, {
      query: "compass",
      retrieval_model: {
        search_method: "full_text_search",
        top_k: 10,
        score_threshold_enabled: false,
        metadata_filtering_conditions: { logical_operator, conditions },
      },
    });
    if (res.status !== 200) return res;
    const ids = (res.data.records as { segment: { document_id: string } }[]).map(
      (r) => r.segment.document_id,
    );
    return (Object.keys(doc) as (keyof typeof doc)[]).filter((k) => ids.includes(doc[k])).sort();
  };

  const metadataOf = async (id: string) =>
    (await t.database.db.select().from(documents).where(eq(documents.id, id)))[0]!.metadata;

  beforeAll(async () => {
    t = await createKnowledgeApp(undefined, { startQueue: false });
    w = await setupKnowledgeWorld(t);
    ({ intruderKey, call } = await openDatasetApi(t, w));
    ds = (await call("POST", "/datasets", { name: "Meta" })).data.id as string;
    other = (await call("POST", "/datasets", { name: "Meta other" })).data.id as string;
    doc.ada = await textDoc(ds, "Ada notes", "The compass of analytical engines.");
    doc.grace = await textDoc(ds, "Grace log", "A compass for compilers and 100% of bugs.");
    doc.plain = await textDoc(ds, "Plain", "A plain compass.");
  });
  afterAll(() => t.close());

  it("fields: create (201), list with counts, built-in list and switch; bad bodies 400, duplicates 409", async () => {
    for (const [name, type] of [
      ["author", "string"],
      ["pages", "number"],
      ["published", "time"],
    ] as const) {
      const res = await call("POST", `/datasets/${ds}/metadata`, { type, name });
      expect(res.status).toBe(201);
      expect(res.data).toEqual({ id: expect.any(String), name, type });
      field[name] = res.data.id as string;
    }
    expect((await call("POST", `/datasets/${ds}/metadata`, { type: "string", name: "author" })).status).toBe(
      409,
    );
    for (const body of [
      { type: "string", name: "document_name" },
      { type: "string", name: "a b" },
      { type: "string", name: "x') or 1=1 --" },
      { type: "boolean", name: "flag" },
      { type: "string", name: "ok", dataset_id: other },
      { name: "missing_type" },
    ]) {
      const res = await call("POST", `/datasets/${ds}/metadata`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.data).toMatchObject({ code: "invalid_param" });
    }
    const list = await call("GET", `/datasets/${ds}/metadata`);
    expect(list.data).toEqual({
      doc_metadata: [
        { id: field.author, name: "author", type: "string", count: 0 },
        { id: field.pages, name: "pages", type: "number", count: 0 },
        { id: field.published, name: "published", type: "time", count: 0 },
      ],
      built_in_field_enabled: false,
    });
    const builtIn = await call("GET", `/datasets/${ds}/metadata/built-in`);
    expect((builtIn.data.fields as { name: string }[]).map((f) => f.name)).toEqual([
      "document_name",
      "uploader",
      "upload_date",
      "last_update_date",
      "source",
    ]);
    expect((await call("POST", `/datasets/${ds}/metadata/built-in/enable`)).data).toEqual({
      result: "success",
    });
    expect((await call("GET", `/datasets/${ds}/metadata`)).data.built_in_field_enabled).toBe(true);
    expect((await call("POST", `/datasets/${ds}/metadata/built-in/toggle`)).status).toBe(400);
  });

  it("document values: typed, all-or-nothing, scoped to the dataset", async () => {
    const op = (id: string, list: { id: string; name: string; value: unknown }[], partial = false) => ({
      document_id: id,
      metadata_list: list,
      partial_update: partial,
    });
    const set = await call("POST", `/datasets/${ds}/documents/metadata`, {
      operation_data: [
        op(doc.ada, [
          { id: field.author!, name: "author", value: "Ada Lovelace" },
          { id: field.pages!, name: "pages", value: 12 },
          { id: field.published!, name: "published", value: 1_700_000_000 },
        ]),
        op(doc.grace, [
          { id: field.author!, name: "author", value: "Grace Hopper" },
          { id: field.pages!, name: "pages", value: "300" },
          { id: field.published!, name: "published", value: "2020-01-01T00:00:00Z" },
        ]),
      ],
    });
    expect(set.status).toBe(200);
    expect(set.data).toEqual({ result: "success" });
    expect(await metadataOf(doc.ada)).toEqual({
      author: "Ada Lovelace",
      pages: 12,
      published: "2023-11-14T22:13:20.000Z",
    });
    expect(await metadataOf(doc.grace)).toMatchObject({ pages: 300 });
    const shown = await call("GET", `/datasets/${ds}/documents/${doc.ada}`);
    expect(shown.data.doc_metadata).toEqual(
      expect.arrayContaining([
        { id: field.author, name: "author", value: "Ada Lovelace", type: "string" },
        { id: field.published, name: "published", value: "2023-11-14T22:13:20.000Z", type: "time" },
      ]),
    );

    // A bad value in the second operation: the first is not written either.
    const before = await metadataOf(doc.plain);
    const bad: [unknown, number][] = [
      [
        [
          op(doc.plain, [{ id: field.author!, name: "author", value: "Someone" }]),
          op(doc.ada, [{ id: field.pages!, name: "pages", value: "many" }]),
        ],
        400,
      ],
      [[op(doc.plain, [{ id: field.author!, name: "author", value: 5 }])], 400],
      [[op(doc.plain, [{ id: field.published!, name: "published", value: "not a date" }])], 400],
      [[op(doc.plain, [{ id: field.author!, name: "pages", value: "x" }])], 400],
      [[op(doc.plain, [{ id: "00000000-0000-7000-8000-000000000000", name: "author", value: "x" }])], 404],
      [[{ ...op(doc.plain, []), workspace_id: w.intruderWorkspaceId }], 400],
    ];
    for (const [operation_data, status] of bad) {
      const res = await call("POST", `/datasets/${ds}/documents/metadata`, { operation_data });
      expect(res.status, JSON.stringify(operation_data)).toBe(status);
    }
    expect(await metadataOf(doc.plain)).toEqual(before);
    expect((await metadataOf(doc.ada)).pages).toBe(12);

    // Another dataset's document, and this dataset's field used on another dataset's document.
    const foreignDoc = await textDoc(other, "Foreign", "Foreign compass.");
    const cross = await call("POST", `/datasets/${ds}/documents/metadata`, {
      operation_data: [op(foreignDoc, [{ id: field.author!, name: "author", value: "x" }])],
    });
    expect(cross.status).toBe(404);
    const viaOther = await call("POST", `/datasets/${other}/documents/metadata`, {
      operation_data: [op(foreignDoc, [{ id: field.author!, name: "author", value: "x" }])],
    });
    expect(viaOther.status).toBe(404);
    expect(await metadataOf(foreignDoc)).toEqual({});

    // partial_update keeps the other values; a null value removes one.
    const partial = await call("POST", `/datasets/${ds}/documents/metadata`, {
      operation_data: [op(doc.ada, [{ id: field.pages!, name: "pages", value: 13 }], true)],
    });
    expect(partial.status).toBe(200);
    expect(await metadataOf(doc.ada)).toMatchObject({ author: "Ada Lovelace", pages: 13 });
    const list = await call("GET", `/datasets/${ds}/metadata`);
    expect(
      (list.data.doc_metadata as { name: string; count: number }[]).find((f) => f.name === "author")!.count,
    ).toBe(2);
    expect(await auditRows(t.database.db, eq(auditEvents.action, "dataset.document.metadata"))).toHaveLength(
      2,
    );
  });

  it("retrieval filters: every operator, and/or, built-in fields", async () => {
    const cases: [Cond[], string[], ("and" | "or")?][] = [
      [[{ name: "author", comparison_operator: "contains", value: "love" }], ["ada"]],
      [[{ name: "author", comparison_operator: "not contains", value: "love" }], ["grace", "plain"]],
      [[{ name: "author", comparison_operator: "start with", value: "grace" }], ["grace"]],
      [[{ name: "author", comparison_operator: "end with", value: "hopper" }], ["grace"]],
      [[{ name: "author", comparison_operator: "is", value: "Ada Lovelace" }], ["ada"]],
      [[{ name: "author", comparison_operator: "is not", value: "Ada Lovelace" }], ["grace", "plain"]],
      [[{ name: "author", comparison_operator: "empty" }], ["plain"]],
      [[{ name: "author", comparison_operator: "not empty" }], ["ada", "grace"]],
      [[{ name: "pages", comparison_operator: "=", value: 13 }], ["ada"]],
      [[{ name: "pages", comparison_operator: "≠", value: 13 }], ["grace"]],
      [[{ name: "pages", comparison_operator: ">", value: "100" }], ["grace"]],
      [[{ name: "pages", comparison_operator: "<", value: 100 }], ["ada"]],
      [[{ name: "pages", comparison_operator: "≥", value: 300 }], ["grace"]],
      [[{ name: "pages", comparison_operator: "≤", value: 13 }], ["ada"]],
      [[{ name: "published", comparison_operator: "before", value: 1_600_000_000 }], ["grace"]],
      [[{ name: "published", comparison_operator: "after", value: "2021-06-01T00:00:00Z" }], ["ada"]],
      [
        [{ name: "author", comparison_operator: "in", value: ["Ada Lovelace", "Grace Hopper"] }],
        ["ada", "grace"],
      ],
      [[{ name: "author", comparison_operator: "not in", value: ["Ada Lovelace"] }], ["grace", "plain"]],
      [[{ name: "author", comparison_operator: "in", value: "Grace Hopper, Nobody" }], ["grace"]],
      [
        [
          { name: "author", comparison_operator: "contains", value: "a" },
          { name: "pages", comparison_operator: ">", value: 20 },
        ],
        ["grace"],
      ],
      [
        [
          { name: "pages", comparison_operator: "<", value: 20 },
          { name: "pages", comparison_operator: ">", value: 200 },
        ],
        ["ada", "grace"],
        "or",
      ],
      [[{ name: "document_name", comparison_operator: "start with", value: "Grace" }], ["grace"]],
      [
        [{ name: "upload_date", comparison_operator: "after", value: "2000-01-01T00:00:00Z" }],
        ["ada", "grace", "plain"],
      ],
      [[{ name: "last_update_date", comparison_operator: "before", value: 946_684_800 }], []],
      [[{ name: "source", comparison_operator: "is", value: "text" }], ["ada", "grace", "plain"]],
    ];
    for (const [conditions, expected, logical] of cases) {
      expect(await filtered(conditions, logical), JSON.stringify(conditions)).toEqual(expected);
    }
  });

  it("filters are parameters, never SQL: injection in names and values, LIKE wildcards literal, bad pairs 400", async () => {
    const injected = await filtered([{ name: "author') or 1=1 --", comparison_operator: "is", value: "x" }]);
    expect(injected).toMatchObject({ status: 400, data: { code: "invalid_param" } });
    expect(await filtered([{ name: "author", comparison_operator: "is", value: "x' or '1'='1" }])).toEqual(
      [],
    );
    expect(await filtered([{ name: "author", comparison_operator: "contains", value: "%" }])).toEqual([]);
    expect(await filtered([{ name: "author", comparison_operator: "contains", value: "_" }])).toEqual([]);
    expect(
      await filtered([{ name: "pages", comparison_operator: ">", value: "1; drop table documents" }]),
    ).toMatchObject({ status: 400 });
    expect(
      await filtered([{ name: "upload_date", comparison_operator: "contains", value: "x" }]),
    ).toMatchObject({
      status: 400,
    });
    expect(await filtered([{ name: "author", comparison_operator: "is", value: ["a", "b"] }])).toMatchObject({
      status: 400,
    });
    expect(await filtered([{ name: "author", comparison_operator: "matches", value: "a" }])).toMatchObject({
      status: 400,
    });
    // Documents are all still there.
    expect(await filtered([{ name: "document_name", comparison_operator: "not empty" }])).toEqual([
      "ada",
      "grace",
      "plain",
    ]);
  });

  it("rename moves the values; delete removes them; foreign ids are 404", async () => {
    const renamed = await call("PATCH", `/datasets/${ds}/metadata/${field.author}`, { name: "writer" });
    expect(renamed.data).toEqual({ id: field.author, name: "writer", type: "string" });
    expect(await filtered([{ name: "writer", comparison_operator: "is", value: "Grace Hopper" }])).toEqual([
      "grace",
    ]);
    expect(await filtered([{ name: "author", comparison_operator: "not empty" }])).toEqual([]);
    expect((await call("PATCH", `/datasets/${ds}/metadata/${field.pages}`, { name: "writer" })).status).toBe(
      409,
    );
    expect(
      (await call("PATCH", `/datasets/${ds}/metadata/${field.pages}`, { name: "x", type: "time" })).status,
    ).toBe(400);

    // Through another dataset, and from workspace B.
    expect((await call("PATCH", `/datasets/${other}/metadata/${field.pages}`, { name: "y" })).status).toBe(
      404,
    );
    expect((await call("DELETE", `/datasets/${other}/metadata/${field.pages}`)).status).toBe(404);
    for (const [method, path, body] of [
      ["GET", `/datasets/${ds}/metadata`, undefined],
      ["POST", `/datasets/${ds}/metadata`, { type: "string", name: "b" }],
      ["PATCH", `/datasets/${ds}/metadata/${field.pages}`, { name: "b" }],
      ["DELETE", `/datasets/${ds}/metadata/${field.pages}`, undefined],
      ["GET", `/datasets/${ds}/metadata/built-in`, undefined],
      ["POST", `/datasets/${ds}/metadata/built-in/disable`, undefined],
      [
        "POST",
        `/datasets/${ds}/documents/metadata`,
        { operation_data: [{ document_id: doc.ada, metadata_list: [] }] },
      ],
    ] as const) {
      expect((await call(method, path, body, intruderKey)).status, `${method} ${path}`).toBe(404);
    }
    expect((await metadataOf(doc.ada)).pages).toBe(13);

    expect((await call("DELETE", `/datasets/${ds}/metadata/${field.pages}`)).status).toBe(204);
    expect(await metadataOf(doc.ada)).not.toHaveProperty("pages");
    expect(await metadataOf(doc.grace)).toEqual({
      writer: "Grace Hopper",
      published: "2020-01-01T00:00:00.000Z",
    });
    const names = (
      (await call("GET", `/datasets/${ds}/metadata`)).data.doc_metadata as { name: string }[]
    ).map((f) => f.name);
    expect(names).toEqual(["writer", "published"]);
  });
});
