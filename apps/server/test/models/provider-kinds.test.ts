import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers.ts";
import {
  allow,
  createProvider,
  PROVIDERS,
  setupModelsWorld,
  startCaptureServer,
  type CapturedRequest,
  type ModelsWorld,
} from "./models-world.ts";

const OPENAI_ANSWER = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "pong" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};
const ANTHROPIC_ANSWER = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-x",
  content: [{ type: "text", text: "pong" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
};
const BEDROCK_ANSWER = {
  output: { message: { role: "assistant", content: [{ text: "pong" }] } },
  stopReason: "end_turn",
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
};

/**
 * Each kind's request leaves through the guarded fetch to the configured base URL with that
 * provider's auth header shape; a local server captures it and answers minimally.
 */
describe("provider kinds: URL and auth header shape", () => {
  let t: TestApp;
  let w: ModelsWorld;
  let server: Awaited<ReturnType<typeof startCaptureServer>>;

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupModelsWorld(t);
    server = await startCaptureServer((req) => ({
      status: 200,
      body: req.url.includes("/messages")
        ? ANTHROPIC_ANSWER
        : req.url.includes("/converse")
          ? BEDROCK_ANSWER
          : OPENAI_ANSWER,
    }));
    await allow(w.owner, "127.0.0.1");
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });

  async function testOnce(body: Record<string, unknown>): Promise<CapturedRequest> {
    const id = await createProvider(w.owner, body);
    const before = server.requests.length;
    const res = await w.owner.post(`${PROVIDERS}/${id}/test`, {});
    expect(res.json()).toMatchObject({ ok: true });
    expect(server.requests.length).toBe(before + 1);
    return server.requests.at(-1)!;
  }

  it("openai: Chat Completions with a bearer key and the organization header", async () => {
    const req = await testOnce({
      kind: "openai",
      name: "openai",
      apiKey: "sk-openai-key-123456",
      organization: "org-42",
      baseUrl: `${server.url}/v1`,
      models: [{ name: "gpt-4o-mini" }],
    });
    expect(req.url).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-openai-key-123456");
    expect(req.headers["openai-organization"]).toBe("org-42");
    expect(JSON.parse(req.body)).toMatchObject({ model: "gpt-4o-mini" });
  });

  it("azure_openai: api-key header; a dated api-version uses deployment URLs", async () => {
    const v1 = await testOnce({
      kind: "azure_openai",
      name: "azure-v1",
      apiKey: "azure-key-abcdef123456",
      baseUrl: `${server.url}/openai/v1`,
      models: [{ name: "my-deployment" }],
    });
    expect(v1.url).toBe("/openai/v1/chat/completions");
    expect(v1.headers["api-key"]).toBe("azure-key-abcdef123456");
    expect(v1.headers.authorization).toBeUndefined();

    const dated = await testOnce({
      kind: "azure_openai",
      name: "azure-dated",
      apiKey: "azure-key-abcdef123456",
      baseUrl: `${server.url}/openai`,
      apiVersion: "2024-10-21",
      models: [{ name: "my-deployment" }],
    });
    expect(dated.url).toBe("/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21");
    expect(dated.headers["api-key"]).toBe("azure-key-abcdef123456");
  });

  it("anthropic: Messages API with x-api-key and anthropic-version", async () => {
    const req = await testOnce({
      kind: "anthropic",
      name: "anthropic",
      apiKey: "sk-ant-key-abcdef",
      baseUrl: `${server.url}/v1`,
      models: [{ name: "claude-x" }],
    });
    expect(req.url).toBe("/v1/messages");
    expect(req.headers["x-api-key"]).toBe("sk-ant-key-abcdef");
    expect(req.headers["anthropic-version"]).toBeTruthy();
    expect(JSON.parse(req.body)).toMatchObject({ model: "claude-x" });
  });

  it("bedrock: Converse signed with SigV4 for the region; the secret key itself never leaves", async () => {
    const req = await testOnce({
      kind: "bedrock",
      name: "bedrock",
      region: "eu-west-1",
      accessKeyId: "AKIAEXAMPLEKEY12345",
      secretAccessKey: "bedrock-secret-access-key-CANARY",
      sessionToken: "session-token-xyz",
      baseUrl: server.url,
      models: [{ name: "anthropic.claude-3-haiku" }],
    });
    expect(req.url).toBe("/model/anthropic.claude-3-haiku/converse");
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEKEY12345\/\d{8}\/eu-west-1\/bedrock\/aws4_request, /,
    );
    expect(req.headers["x-amz-security-token"]).toBe("session-token-xyz");
    expect(JSON.stringify(req)).not.toContain("CANARY");
  });

  it("bedrock reads show masks for every credential", async () => {
    const list = await w.owner.get(PROVIDERS);
    const bedrock = (
      list.json() as { data: { kind: string; credentials: Record<string, string> }[] }
    ).data.find((p) => p.kind === "bedrock")!;
    expect(bedrock.credentials).toEqual({
      accessKeyId: "AKIAEX…45",
      secretAccessKey: "bedroc…RY",
      sessionToken: "sessio…yz",
    });
    expect(list.body).not.toContain("CANARY");
  });
});
