import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { AppConfig } from "@enclave/contracts";
import { retrieveForApp } from "@enclave/core";
import { segments } from "@enclave/db";
import {
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  settle,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

// Apps attach datasets; retrieval for an app stays inside the app's workspace.
describe("apps and knowledge", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  const ids = { private: "", team: "", foreign: "", doc: "" };

  beforeAll(async () => {
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    ids.private = await createDataset(w.editor.client, { name: "Mine", permission: "only_me" });
    ids.team = await createDataset(w.editor.client, { name: "Team", permission: "all_team_members" });
    ids.foreign = await createDataset(w.intruder, { name: "Theirs", permission: "all_team_members" });
    ids.doc = await addTextDocument(
      w.editor.client,
      ids.team,
      "Residency",
      "数据主权 requires local storage.\n\nOther text.",
    );
    const foreignDoc = await addTextDocument(
      w.intruder,
      ids.foreign,
      "Leak",
      "数据主权 secret of workspace B.",
    );
    const privateDoc = await addTextDocument(
      w.editor.client,
      ids.private,
      "Private",
      "数据主权 private note.",
    );
    await settle(t, [ids.doc, foreignDoc, privateDoc]);
  });
  afterAll(() => t.close());

  const createApp = (client: typeof w.intruder, datasetIds: string[]) =>
    client.post("/console/api/apps", {
      name: "Helpdesk",
      mode: "chat",
      config: { datasets: { datasetIds, retrieval: { topK: 3 } } },
    });

  it("existing configurations still parse: datasets default to none", () => {
    expect(AppConfig.parse({}).datasets).toMatchObject({ datasetIds: [], retrieval: { topK: 4 } });
  });

  it("a user who cannot read a dataset cannot attach it (404), on create and on update", async () => {
    expect((await createApp(w.editor2.client, [ids.private])).statusCode).toBe(404);
    expect((await createApp(w.editor2.client, [ids.foreign])).statusCode).toBe(404);
    const ok = await createApp(w.editor2.client, [ids.team]);
    expect(ok.statusCode).toBe(201);
    const appId = (ok.json() as { id: string }).id;
    const sneak = await w.editor2.client.patch(`/console/api/apps/${appId}`, {
      config: { datasets: { datasetIds: [ids.team, ids.private] } },
    });
    expect(sneak.statusCode).toBe(404);
    const app = (await w.editor2.client.get(`/console/api/apps/${appId}`)).json() as { config: AppConfig };
    expect(app.config.datasets.datasetIds).toEqual([ids.team]);
    // The creator may attach their own only_me dataset.
    expect((await createApp(w.editor.client, [ids.private, ids.team])).statusCode).toBe(201);
  });

  it("retrieveForApp returns Dify retriever_resources that resolve to real chunks of the dataset", async () => {
    const ctx = { ...t.workerCtx(), workspace: { id: w.workspaceId } };
    const both = await retrieveForApp(ctx, [ids.team, ids.private], { topK: 5 } as never, "数据主权");
    expect(new Set(both.map((r) => r.dataset_name))).toEqual(new Set(["Team", "Mine"]));
    expect(both.map((r) => r.position)).toEqual(both.map((_, i) => i + 1));
    const resources = await retrieveForApp(ctx, [ids.team], { topK: 5 } as never, "数据主权");
    expect(resources[0]).toMatchObject({
      position: 1,
      dataset_id: ids.team,
      dataset_name: "Team",
      document_name: "Residency",
    });
    for (const r of resources) {
      const [seg] = await t.database.db.select().from(segments).where(eq(segments.id, r.segment_id));
      expect(seg).toMatchObject({ datasetId: r.dataset_id, documentId: r.document_id, content: r.content });
      expect(r.score).toBeGreaterThan(0);
    }
  });

  it("never reaches a dataset of another workspace, even when its id is passed", async () => {
    const ctx = { ...t.workerCtx(), workspace: { id: w.workspaceId } };
    const resources = await retrieveForApp(ctx, [ids.foreign], { topK: 5 } as never, "数据主权");
    expect(resources).toEqual([]);
    const mixed = await retrieveForApp(ctx, [ids.foreign, ids.team], { topK: 5 } as never, "数据主权");
    expect(mixed.every((r) => r.dataset_id === ids.team)).toBe(true);
  });
});
