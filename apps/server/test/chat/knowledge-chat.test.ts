// Apps answer from their attached knowledge: the retrieved chunk goes into the prompt, and the
// answer's message_end carries citations (Dify's retriever_resources) that resolve to real chunks.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient } from "dify-client";
import { eq, inArray } from "drizzle-orm";
import { messages, segments } from "@enclave/db";
import { FAKE_MODEL, startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.ts";
import {
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  settle,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "../knowledge/knowledge-world.ts";
import { readSse } from "./chat-world.ts";

describe("chat with knowledge", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let fake: FakeModelServer;
  let chat: ChatClient;
  let datasetId: string;

  beforeAll(async () => {
    fake = await startFakeModelServer();
    t = await createKnowledgeApp();
    w = await setupKnowledgeWorld(t);
    const owner = w.owner.client;
    await owner.post("/console/api/workspaces/current/outbound-allowlist", { entry: "127.0.0.1" });
    const provider = await owner.post("/console/api/workspaces/current/model-providers", {
      kind: "openai_compatible",
      name: "fake-chat",
      baseUrl: fake.url,
      apiKey: "sk-knowledge-chat-0000",
      models: [{ name: FAKE_MODEL }],
    });
    const providerId = (provider.json() as { id: string }).id;
    datasetId = await createDataset(w.editor.client, { name: "Policies", permission: "all_team_members" });
    const doc = await addTextDocument(
      w.editor.client,
      datasetId,
      "Residency policy",
      "数据主权: customer data stays in the Frankfurt region.\n\nThe cafeteria opens at eight.",
    );
    // Text for another workspace's dataset, which the app must never retrieve.
    const foreign = await createDataset(w.intruder, { name: "Other", permission: "all_team_members" });
    const foreignDoc = await addTextDocument(w.intruder, foreign, "Leak", "数据主权 secret of workspace B.");
    await settle(t, [doc, foreignDoc]);

    const created = await w.editor.client.post("/console/api/apps", {
      name: "Policy bot",
      mode: "chat",
      config: {
        model: { providerId, name: FAKE_MODEL },
        prePrompt: "You answer policy questions.",
        datasets: { datasetIds: [datasetId], retrieval: { topK: 2 } },
      },
    });
    expect(created.statusCode).toBe(201);
    const appId = (created.json() as { id: string }).id;
    await w.editor.client.post(`/console/api/apps/${appId}/publish`);
    const key = (await w.editor.client.post(`/console/api/apps/${appId}/api-keys`, {})).json() as {
      token: string;
    };
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    chat = new ChatClient(key.token, `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1`);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it("puts the retrieved chunk in the prompt and cites it in message_end", async () => {
    const res = await chat.createChatMessage({}, "数据主权 是什么？", "u1", true);
    const { events } = await readSse(res.data as AsyncIterable<Buffer>);
    const end = events.at(-1) as {
      event: string;
      metadata: { retriever_resources: Record<string, unknown>[] };
    };
    expect(end.event).toBe("message_end");
    const cites = end.metadata.retriever_resources;
    expect(cites.length).toBeGreaterThan(0);
    expect(cites[0]).toMatchObject({
      position: 1,
      dataset_id: datasetId,
      dataset_name: "Policies",
      document_name: "Residency policy",
    });
    expect(String(cites[0]!.content)).toContain("Frankfurt");
    expect(JSON.stringify(cites)).not.toContain("workspace B");

    // Every citation resolves to a real chunk of that dataset.
    const ids = cites.map((c) => c.segment_id as string);
    const rows = await t.database.db.select().from(segments).where(inArray(segments.id, ids));
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((r) => r.datasetId === datasetId)).toBe(true);

    const sent = fake.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(sent.messages[0]!.content).toMatch(
      /^You answer policy questions\.\n\n.*<context>.*Frankfurt.*<\/context>$/s,
    );
    expect(sent.messages[0]!.content).not.toContain("workspace B");

    const [saved] = await t.database.db
      .select()
      .from(messages)
      .where(eq(messages.id, String(events.at(-1)!.message_id)));
    expect(saved!.retrieverResources).toHaveLength(cites.length);
    const history = (await chat.getConversationMessages("u1", String(events.at(-1)!.conversation_id)))
      .data as {
      data: { retriever_resources: unknown[] }[];
    };
    expect(history.data[0]!.retriever_resources).toHaveLength(cites.length);
  });

  it("a question the knowledge does not cover gets no citations and no context frame", async () => {
    const res = (await chat.createChatMessage({}, "zebra quantum", "u1")).data as {
      metadata: { retriever_resources: unknown[] };
    };
    expect(res.metadata.retriever_resources).toEqual([]);
    const sent = fake.requests.at(-1)!.body as { messages: { content: string }[] };
    expect(sent.messages[0]!.content).toBe("You answer policy questions.");
  });
});
