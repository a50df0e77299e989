import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient, DifyClient } from "dify-client";
import { clearServingAppCache } from "@enclave/core";
import type { CreatedApiKey } from "@enclave/contracts";
import { createTestApp, type TestApp } from "../helpers.ts";
import { OWNER } from "../identity-world.ts";
import {
  difyError,
  listen,
  publishedApp,
  setupEdgeWorld,
  type EdgeWorld,
  type PublishedApp,
} from "./edge-world.ts";

const FORM = [
  { "text-input": { label: "City", variable: "city", required: true, max_length: 48 } },
  { select: { label: "Tone", variable: "tone", options: ["formal", "casual"], default: "formal" } },
];

describe("GET /v1/parameters, /info, /meta, /site", () => {
  let t: TestApp;
  let w: EdgeWorld;
  let appA: PublishedApp;
  let appB: PublishedApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { UPLOAD_MAX_MB: "7" } });
    w = await setupEdgeWorld(t);
    appA = await publishedApp(w, {
      name: "Weather desk",
      description: "Answers weather questions",
      icon: "⛅",
      mode: "agent-chat",
      config: {
        model: { providerId: w.providerId, name: "chat-model" },
        openingStatement: "Hello from A",
        suggestedQuestions: ["Will it rain?", "Is it cold?"],
        userInputForm: FORM,
        tools: ["current_time", "http_get"],
        fileUpload: { enabled: true, numberLimits: 2 },
      },
    });
    appB = await publishedApp(w, {
      name: "Other app",
      config: { model: { providerId: w.providerId, name: "chat-model" }, openingStatement: "Hello from B" },
    });
    base = await listen(t.app);
  });
  afterAll(() => t.close());

  it("parameters: the published config in Dify's shape", async () => {
    const res = await new ChatClient(appA.token, base).getApplicationParameters("u1");
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      opening_statement: "Hello from A",
      suggested_questions: ["Will it rain?", "Is it cold?"],
      suggested_questions_after_answer: { enabled: false },
      speech_to_text: { enabled: false },
      retriever_resource: { enabled: false },
      annotation_reply: { enabled: false },
      user_input_form: [
        { "text-input": { label: "City", variable: "city", required: true, max_length: 48 } },
        {
          select: {
            label: "Tone",
            variable: "tone",
            required: false,
            options: ["formal", "casual"],
            default: "formal",
          },
        },
      ],
      file_upload: { image: { enabled: true, number_limits: 2, transfer_methods: ["local_file"] } },
      system_parameters: { file_size_limit: 7, image_file_size_limit: 7 },
    });
  });

  it("info, meta and site describe the key's own app", async () => {
    const client = new DifyClient(appA.token, base);
    const info = await client.sendRequest("GET", "/info");
    expect(info.data).toEqual({
      name: "Weather desk",
      description: "Answers weather questions",
      tags: [],
      mode: "agent-chat",
      author_name: OWNER.name,
    });
    const meta = await client.sendRequest("GET", "/meta");
    expect(Object.keys(meta.data.tool_icons).sort()).toEqual(["current_time", "http_get"]);
    expect(meta.data.tool_icons.current_time).toMatchObject({ content: expect.any(String) });
    const site = await client.sendRequest("GET", "/site");
    expect(site.data).toMatchObject({
      title: "Weather desk",
      icon_type: "emoji",
      icon: "⛅",
      description: "Answers weather questions",
      default_language: "en-US",
    });
    expect((await new DifyClient(appB.token, base).sendRequest("GET", "/meta")).data).toEqual({
      tool_icons: {},
    });
  });

  it("a key of app B sees only app B", async () => {
    const client = new ChatClient(appB.token, base);
    expect((await client.getApplicationParameters("u1")).data.opening_statement).toBe("Hello from B");
    expect((await client.sendRequest("GET", "/info")).data.name).toBe("Other app");
    expect((await client.sendRequest("GET", "/site")).data.title).toBe("Other app");
  });

  it("serves the published version, not the draft", async () => {
    const edited = await w.owner.patch(`/console/api/apps/${appB.id}`, {
      name: "Renamed draft",
      config: { model: { providerId: w.providerId, name: "chat-model" }, openingStatement: "Draft only" },
    });
    expect(edited.statusCode).toBe(200);
    clearServingAppCache();
    const client = new ChatClient(appB.token, base);
    expect((await client.getApplicationParameters("u1")).data.opening_statement).toBe("Hello from B");
    await w.owner.post(`/console/api/apps/${appB.id}/publish`);
    expect((await client.getApplicationParameters("u1")).data.opening_statement).toBe("Draft only");
  });

  it("refuses unpublished apps, switched-off APIs and missing keys with Dify errors", async () => {
    const created = await w.owner.post("/console/api/apps", { name: "Unpublished", mode: "chat" });
    const appId = (created.json() as { id: string }).id;
    const key = (
      await w.owner.post(`/console/api/apps/${appId}/api-keys`, { name: "k" })
    ).json() as CreatedApiKey;
    for (const path of ["/parameters", "/info", "/meta", "/site"]) {
      const err = await difyError(new DifyClient(key.token, base).sendRequest("GET", path));
      expect(err.body).toMatchObject({ code: "app_unavailable", status: 400 });
    }
    await w.owner.patch(`/console/api/apps/${appA.id}`, { enableApi: false });
    const off = await difyError(new DifyClient(appA.token, base).sendRequest("GET", "/info"));
    expect(off.body).toMatchObject({ code: "app_unavailable", status: 400 });
    await w.owner.patch(`/console/api/apps/${appA.id}`, { enableApi: true });

    const none = await difyError(new DifyClient("", base).sendRequest("GET", "/parameters"));
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: "unauthorized", status: 401 });
  });
});
