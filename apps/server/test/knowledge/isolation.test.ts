import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { datasets, segments } from "@enclave/db";
import type { ConsoleClient } from "../console-client.ts";
import {
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  DATASETS,
  multipartBody,
  settle,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

/**
 * SECURITY.md rows 1 and 3 for knowledge bases: a user of workspace B, and a fellow editor facing
 * an only_me dataset, get 404 (never 403) on every route that takes a dataset, document, segment
 * or key id; partial_members opens a dataset to the listed members only.
 */
describe("knowledge base isolation", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  const ids = { dataset: "", document: "", segment: "", key: "" };

  beforeAll(async () => {
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    ids.dataset = await createDataset(w.editor.client, { name: "Confidential", permission: "only_me" });
    ids.document = await addTextDocument(
      w.editor.client,
      ids.dataset,
      "Board minutes",
      "Merger talks with Globex.",
    );
    await settle(t, [ids.document]);
    const [seg] = await t.database.db.select().from(segments).where(eq(segments.documentId, ids.document));
    ids.segment = seg!.id;
    const key = await w.owner.client.post(`${DATASETS}/api-keys`, { name: "ci" });
    ids.key = (key.json() as { id: string }).id;
  });
  afterAll(() => t.close());

  const D = () => `${DATASETS}/${ids.dataset}`;
  const DOC = () => `${D()}/documents/${ids.document}`;
  const SEG = () => `${DOC()}/segments/${ids.segment}`;
  // Every dataset route with a path parameter; the last test proves the table is complete.
  const table: {
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
    url: string;
    path: () => string;
    body?: unknown;
  }[] = [
    { method: "GET", url: "/console/api/datasets/:id", path: D },
    { method: "PATCH", url: "/console/api/datasets/:id", path: D, body: { name: "pwned" } },
    { method: "DELETE", url: "/console/api/datasets/:id", path: D },
    {
      method: "PUT",
      url: "/console/api/datasets/:id/members",
      path: () => `${D()}/members`,
      body: { memberIds: [] },
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/hit-testing",
      path: () => `${D()}/hit-testing`,
      body: { query: "merger" },
    },
    { method: "GET", url: "/console/api/datasets/:id/metadata", path: () => `${D()}/metadata` },
    {
      method: "POST",
      url: "/console/api/datasets/:id/metadata",
      path: () => `${D()}/metadata`,
      body: { name: "planted", type: "string" },
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/metadata/built-in/:action",
      path: () => `${D()}/metadata/built-in/enable`,
    },
    {
      method: "PATCH",
      url: "/console/api/datasets/:id/metadata/:fieldId",
      path: () => `${D()}/metadata/${ids.dataset}`,
      body: { name: "renamed" },
    },
    {
      method: "DELETE",
      url: "/console/api/datasets/:id/metadata/:fieldId",
      path: () => `${D()}/metadata/${ids.dataset}`,
    },
    {
      method: "PUT",
      url: "/console/api/datasets/:id/documents/:documentId/metadata",
      path: () => `${DOC()}/metadata`,
      body: { values: [] },
    },
    { method: "GET", url: "/console/api/datasets/:id/documents", path: () => `${D()}/documents` },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/text",
      path: () => `${D()}/documents/text`,
      body: { name: "x", text: "planted" },
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/upload",
      path: () => `${D()}/documents/upload`,
    },
    { method: "GET", url: "/console/api/datasets/:id/documents/:documentId", path: DOC },
    {
      method: "PATCH",
      url: "/console/api/datasets/:id/documents/:documentId",
      path: DOC,
      body: { enabled: false },
    },
    { method: "DELETE", url: "/console/api/datasets/:id/documents/:documentId", path: DOC },
    {
      method: "GET",
      url: "/console/api/datasets/:id/documents/:documentId/indexing-status",
      path: () => `${DOC()}/indexing-status`,
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/:documentId/pause",
      path: () => `${DOC()}/pause`,
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/:documentId/resume",
      path: () => `${DOC()}/resume`,
    },
    {
      method: "GET",
      url: "/console/api/datasets/:id/documents/:documentId/segments",
      path: () => `${DOC()}/segments`,
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/:documentId/segments",
      path: () => `${DOC()}/segments`,
      body: { content: "planted" },
    },
    { method: "GET", url: "/console/api/datasets/:id/documents/:documentId/segments/:segmentId", path: SEG },
    {
      method: "PATCH",
      url: "/console/api/datasets/:id/documents/:documentId/segments/:segmentId",
      path: SEG,
      body: { content: "tampered" },
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/:documentId/segments/:segmentId/enable",
      path: () => `${SEG()}/enable`,
    },
    {
      method: "POST",
      url: "/console/api/datasets/:id/documents/:documentId/segments/:segmentId/disable",
      path: () => `${SEG()}/disable`,
    },
    {
      method: "DELETE",
      url: "/console/api/datasets/:id/documents/:documentId/segments/:segmentId",
      path: SEG,
    },
    {
      method: "DELETE",
      url: "/console/api/datasets/api-keys/:keyId",
      path: () => `${DATASETS}/api-keys/${ids.key}`,
    },
  ];

  const attackers: [string, () => ConsoleClient][] = [
    ["workspace B's owner", () => w.intruder],
    ["another editor (only_me)", () => w.editor2.client],
    ["a dataset operator (only_me)", () => w.operator.client],
  ];

  describe.each(attackers)("%s", (_who, client) => {
    it.each(table.map((row) => [`${row.method} ${row.url}`, row] as const))("%s → 404", async (name, row) => {
      // Key management is owner/admin-only inside A (403 for the editor); B's owner must get 404.
      if (row.url.includes("api-keys") && client() !== w.intruder) return;
      const res = row.url.endsWith("/upload")
        ? await (async () => {
            const { payload, headers } = multipartBody("planted.txt", Buffer.from("planted text"));
            return client().request("POST", row.path(), payload, { headers });
          })()
        : await client().request(row.method, row.path(), row.body ?? (row.method === "GET" ? undefined : {}));
      expect(res.statusCode, name).toBe(404);
      expect(res.json()).toMatchObject({ code: "not_found" });
    });

    it("does not see it in the list", async () => {
      const res = await client().get(DATASETS);
      expect((res.json() as { data: { id: string }[] }).data.map((d) => d.id)).not.toContain(ids.dataset);
    });
  });

  it("nothing changed: the creator still has the document and its chunk, unedited", async () => {
    const doc = await w.editor.client.get(DOC());
    expect(doc.json()).toMatchObject({ enabled: true, name: "Board minutes" });
    const seg = await w.editor.client.get(SEG());
    expect(seg.json()).toMatchObject({ content: "Merger talks with Globex.", enabled: true });
    const [row] = await t.database.db.select().from(datasets).where(eq(datasets.id, ids.dataset));
    expect(row!.name).toBe("Confidential");
    expect((await w.editor.client.get(`${D()}/documents`)).json()).toMatchObject({ total: 1 });
  });

  it("owners and admins always see it; the creator does", async () => {
    for (const c of [w.owner.client, w.admin.client, w.editor.client]) {
      expect((await c.get(D())).statusCode).toBe(200);
      const hits = await c.post(`${D()}/hit-testing`, { query: "merger" });
      expect((hits.json() as { records: unknown[] }).records).toHaveLength(1);
    }
  });

  it("partial_members: the listed member may read, others may not; the list can change", async () => {
    const id = await createDataset(w.editor.client, {
      name: "Shared",
      permission: "partial_members",
      memberIds: [w.member.accountId],
    });
    expect((await w.member.client.get(`${DATASETS}/${id}`)).statusCode).toBe(200);
    expect((await w.editor2.client.get(`${DATASETS}/${id}`)).statusCode).toBe(404);
    expect((await w.operator.client.get(`${DATASETS}/${id}`)).statusCode).toBe(404);
    const moved = await w.editor.client.request("PUT", `${DATASETS}/${id}/members`, {
      memberIds: [w.editor2.accountId],
    });
    expect(moved.statusCode).toBe(200);
    expect((await w.member.client.get(`${DATASETS}/${id}`)).statusCode).toBe(404);
    expect((await w.editor2.client.get(`${DATASETS}/${id}`)).statusCode).toBe(200);
    // A member from another workspace cannot be listed.
    const foreign = await w.editor.client.request("PUT", `${DATASETS}/${id}/members`, {
      memberIds: [w.owner.accountId, "00000000-0000-7000-8000-000000000000"],
    });
    expect(foreign.statusCode).toBe(400);
  });

  it("roles: members read but cannot write; dataset operators manage datasets but not apps", async () => {
    const id = await createDataset(w.editor.client, { name: "Team", permission: "all_team_members" });
    expect((await w.member.client.get(`${DATASETS}/${id}`)).statusCode).toBe(200);
    expect((await w.member.client.patch(`${DATASETS}/${id}`, { name: "x" })).statusCode).toBe(403);
    expect((await w.member.client.post(DATASETS, { name: "Mine" })).statusCode).toBe(403);
    expect((await w.operator.client.patch(`${DATASETS}/${id}`, { description: "ops" })).statusCode).toBe(200);
    expect((await w.operator.client.post(DATASETS, { name: "Ops KB" })).statusCode).toBe(201);
    expect((await w.operator.client.get("/console/api/apps")).statusCode).toBe(403);
    expect((await w.editor.client.get(`${DATASETS}/api-keys`)).statusCode).toBe(403);
  });

  it("mass assignment: extra keys are refused and nothing is created or changed", async () => {
    const before = (await w.editor.client.get(DATASETS)).json() as { total: number };
    for (const extra of [
      { workspaceId: w.intruderWorkspaceId },
      { createdBy: w.owner.accountId },
      { id: ids.dataset },
    ]) {
      const res = await w.editor.client.post(DATASETS, { name: "Sneaky", ...extra });
      expect(res.statusCode).toBe(400);
    }
    expect(((await w.editor.client.get(DATASETS)).json() as { total: number }).total).toBe(before.total);
    const patch = await w.editor.client.patch(D(), { name: "Renamed", workspaceId: w.intruderWorkspaceId });
    expect(patch.statusCode).toBe(400);
    const seg = await w.editor.client.patch(SEG(), { content: "x", documentId: ids.document });
    expect(seg.statusCode).toBe(400);
    const doc = await w.editor.client.post(`${D()}/documents/text`, {
      name: "a",
      text: "b",
      datasetId: ids.dataset,
    });
    expect(doc.statusCode).toBe(400);
    expect((await w.editor.client.get(D())).json()).toMatchObject({ name: "Confidential", documentCount: 1 });
  });

  it("the table covers every dataset route that takes an id", () => {
    const covered = new Set(table.map((r) => `${r.method} ${r.url}`));
    const missing = t.app.registeredRoutes
      .filter(
        (r) => r.url.startsWith("/console/api/datasets/") && r.url.includes("/:") && r.method !== "HEAD",
      )
      .map((r) => `${r.method} ${r.url}`)
      .filter((k) => !covered.has(k));
    expect(missing).toEqual([]);
  });
});
