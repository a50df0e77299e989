import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import { DifyClient, type RequestMethods } from "dify-client";
import { datasetApiKeys } from "@enclave/db";
import {
  createDataset as createViaConsole,
  createKnowledgeApp,
  DATASETS,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

// dify-client 2.3.2 (the newest on npm) has no KnowledgeBaseClient: its DifyClient.sendRequest
// is the real SDK's transport (axios, Bearer key, JSON), used here against Enclave over real HTTP.
type Res = { status: number; data: Record<string, unknown> };

describe("knowledge service API (Dify /v1/datasets) with dataset keys", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let base: string;
  let token: string;
  let client: DifyClient;

  const call = async (
    c: DifyClient,
    method: RequestMethods,
    path: string,
    data?: unknown,
    params?: Record<string, unknown>,
  ): Promise<Res> => {
    try {
      const res = await c.sendRequest(method, path, data ?? null, params as never);
      return { status: res.status, data: res.data as Record<string, unknown> };
    } catch (err) {
      const r = (err as { response?: { status: number; data: Record<string, unknown> } }).response;
      if (!r) throw err;
      return { status: r.status, data: r.data };
    }
  };

  beforeAll(async () => {
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1`;
    const key = await w.owner.client.post(`${DATASETS}/api-keys`, { name: "sdk" });
    expect(key.statusCode).toBe(201);
    token = (key.json() as { token: string }).token;
    expect(token).toMatch(/^dataset-[A-Za-z0-9_-]{43}$/);
    client = new DifyClient(token, base);
  });
  afterAll(() => t.close());

  it("the key is stored only as a hash and listed without its secret", async () => {
    const rows = await t.database.db.select().from(datasetApiKeys);
    expect(JSON.stringify(rows)).not.toContain(token);
    const list = await w.owner.client.get(`${DATASETS}/api-keys`);
    expect(list.body).not.toContain(token);
    expect((list.json() as { data: { prefix: string }[] }).data[0]!.prefix).toBe(token.slice(0, 12));
  });

  it("create dataset → create by text → poll indexing status → retrieve", async () => {
    const ds = await call(client, "POST", "/datasets", { name: "SDK KB", permission: "all_team_members" });
    expect(ds.status).toBe(200);
    expect(ds.data).toMatchObject({
      name: "SDK KB",
      indexing_technique: "economy",
      permission: "all_team_members",
    });
    const datasetId = ds.data.id as string;

    const created = await call(client, "POST", `/datasets/${datasetId}/document/create-by-text`, {
      name: "Sovereignty",
      text: "数据主权意味着数据存储在本地。\n\n会話ログは三十日後に削除されます。",
      indexing_technique: "economy",
      doc_form: "text_model",
      doc_language: "Chinese",
      process_rule: { mode: "custom", rules: { segmentation: { separator: "\\n\\n", max_tokens: 100 } } },
    });
    expect(created.status).toBe(200);
    const document = created.data.document as { id: string; indexing_status: string };
    const batch = created.data.batch as string;

    let status = "";
    for (let i = 0; i < 200 && status !== "completed"; i++) {
      const s = await call(client, "GET", `/datasets/${datasetId}/documents/${batch}/indexing-status`);
      expect(s.status).toBe(200);
      const entry = (
        s.data.data as { indexing_status: string; completed_segments: number; total_segments: number }[]
      )[0]!;
      status = entry.indexing_status;
      if (status === "completed") expect(entry.completed_segments).toBe(entry.total_segments);
      else await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe("completed");

    const found = await call(client, "POST", `/datasets/${datasetId}/retrieve`, {
      query: "会話ログ",
      retrieval_model: {
        search_method: "full_text_search",
        reranking_enable: false,
        top_k: 2,
        score_threshold_enabled: false,
      },
    });
    expect(found.status).toBe(200);
    expect(found.data.query).toEqual({ content: "会話ログ" });
    const records = found.data.records as {
      segment: { content: string; document_id: string; document: { name: string } };
      score: number;
    }[];
    expect(records[0]!.segment.content).toContain("会話ログ");
    expect(records[0]!.segment.document_id).toBe(document.id);
    expect(records[0]!.segment.document.name).toBe("Sovereignty");
    expect(records[0]!.score).toBeGreaterThan(0);
  });

  it("documents and segments CRUD", async () => {
    const ds = await call(client, "POST", "/datasets", { name: "CRUD" });
    const id = ds.data.id as string;
    const created = await call(client, "POST", `/datasets/${id}/document/create-by-text`, {
      name: "Doc",
      text: "First paragraph.",
    });
    const docId = (created.data.document as { id: string }).id;
    for (let i = 0; i < 200; i++) {
      const d = await call(client, "GET", `/datasets/${id}/documents/${docId}`);
      if (d.data.indexing_status === "completed") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const list = await call(client, "GET", `/datasets/${id}/documents`, undefined, { page: 1, limit: 20 });
    expect(list.data).toMatchObject({ total: 1, page: 1, limit: 20, has_more: false });

    const added = await call(client, "POST", `/datasets/${id}/documents/${docId}/segments`, {
      segments: [{ content: "Added chunk one." }, { content: "Added chunk two.", keywords: ["two"] }],
    });
    expect(added.status).toBe(200);
    const segs = added.data.data as { id: string; position: number }[];
    expect(segs.map((s) => s.position)).toEqual([2, 3]);
    const edited = await call(client, "POST", `/datasets/${id}/documents/${docId}/segments/${segs[0]!.id}`, {
      segment: { content: "Edited chunk.", enabled: false },
    });
    expect(edited.data.data).toMatchObject({ content: "Edited chunk.", enabled: false });
    const one = await call(client, "GET", `/datasets/${id}/documents/${docId}/segments/${segs[0]!.id}`);
    expect(one.data.data).toMatchObject({ content: "Edited chunk." });
    const all = await call(client, "GET", `/datasets/${id}/documents/${docId}/segments`);
    expect(all.data).toMatchObject({ total: 3, doc_form: "text_model" });
    expect(
      (await call(client, "DELETE", `/datasets/${id}/documents/${docId}/segments/${segs[1]!.id}`)).status,
    ).toBe(204);
    expect((await call(client, "DELETE", `/datasets/${id}/documents/${docId}`)).status).toBe(204);
    expect((await call(client, "GET", `/datasets/${id}/documents/${docId}`)).status).toBe(404);
    expect((await call(client, "PATCH", `/datasets/${id}`, { name: "CRUD renamed" })).data).toMatchObject({
      name: "CRUD renamed",
    });
    expect((await call(client, "DELETE", `/datasets/${id}`)).status).toBe(204);
  });

  it("create by file (multipart through the SDK's transport)", async () => {
    const ds = await call(client, "POST", "/datasets", { name: "Files" });
    const form = new FormData();
    form.append(
      "data",
      JSON.stringify({ indexing_technique: "economy", process_rule: { mode: "automatic" } }),
    );
    form.append("file", new Blob(["Uploaded through the service API."]), "../../notes.md");
    const res = await client
      .sendRequest(
        "POST",
        `/datasets/${ds.data.id as string}/document/create-by-file`,
        form,
        undefined,
        false,
        {
          "Content-Type": "multipart/form-data",
        },
      )
      .catch((e: { response: { status: number; data: unknown } }) => e.response);
    expect(res.status).toBe(200);
    expect((res.data as { document: { name: string } }).document.name).toBe("notes.md");
  });

  it("errors come in Dify's shape: bad body 400 invalid_param, unknown id 404, no key 401", async () => {
    const bad = await call(client, "POST", "/datasets", { name: "x", workspace_id: w.intruderWorkspaceId });
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({ code: "invalid_param", status: 400 });
    const missing = await call(client, "GET", "/datasets/00000000-0000-7000-8000-000000000000");
    expect(missing.data).toMatchObject({ code: "not_found", status: 404 });
    const anon = await call(new DifyClient("dataset-not-a-real-key", base), "GET", "/datasets");
    expect(anon.status).toBe(401);
    const rerank = await call(client, "POST", "/datasets", {
      name: "Rerank",
      retrieval_model: {
        reranking_enable: true,
        reranking_mode: "reranking_model",
        top_k: 2,
        score_threshold_enabled: false,
      },
    });
    expect(rerank.status).toBe(400);
  });

  it("a key of workspace A cannot reach workspace B's datasets; revoked keys stop at once", async () => {
    const bDataset = await createViaConsole(w.intruder, {
      name: "B secrets",
      permission: "all_team_members",
    });
    for (const [method, path] of [
      ["GET", `/datasets/${bDataset}`],
      ["GET", `/datasets/${bDataset}/documents`],
      ["PATCH", `/datasets/${bDataset}`],
      ["DELETE", `/datasets/${bDataset}`],
      ["POST", `/datasets/${bDataset}/retrieve`],
      ["POST", `/datasets/${bDataset}/document/create-by-text`],
    ] as const) {
      const body = path.endsWith("retrieve")
        ? { query: "x" }
        : path.endsWith("text")
          ? { name: "a", text: "b" }
          : {};
      const res = await call(client, method, path, method === "GET" ? undefined : body);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await call(client, "GET", "/datasets");
    expect((list.data.data as { id: string }[]).map((d) => d.id)).not.toContain(bDataset);

    const keys = (await w.owner.client.get(`${DATASETS}/api-keys`)).json() as { data: { id: string }[] };
    expect((await w.owner.client.delete(`${DATASETS}/api-keys/${keys.data[0]!.id}`)).statusCode).toBe(204);
    expect((await call(client, "GET", "/datasets")).status).toBe(401);
  });

  it("a dataset key opens nothing else: console and app routes refuse it", async () => {
    const key = await w.owner.client.post(`${DATASETS}/api-keys`, { name: "other" });
    const other = (key.json() as { token: string }).token;
    const headers = { authorization: `Bearer ${other}` };
    expect((await t.app.inject({ method: "GET", url: "/console/api/datasets", headers })).statusCode).toBe(
      401,
    );
    expect((await t.app.inject({ method: "GET", url: "/v1/parameters", headers })).statusCode).toBe(401);
  });
});
