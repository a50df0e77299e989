// The OpenAI-compatible endpoint driven by the real `openai` SDK over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { eq } from "drizzle-orm";
import { messages } from "@enclave/db";
import { setupChatWorld, type ChatWorld } from "./chat-world.ts";

describe("OpenAI-compatible endpoint", () => {
  let w: ChatWorld;
  let client: OpenAI;
  let appId: string;

  beforeAll(async () => {
    w = await setupChatWorld();
    const created = await w.createApp({ config: { prePrompt: "Be brief." } });
    appId = created.appId;
    client = new OpenAI({ apiKey: created.token, baseURL: w.apiBase, maxRetries: 0 });
  });
  afterAll(async () => w?.close());

  it("lists the app as its one model", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([appId]);
  });

  it("chat.completions: the app's prompt first, the caller's history after, usage counted and saved", async () => {
    const res = await client.chat.completions.create({
      model: appId,
      messages: [
        { role: "system", content: "Answer in English." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: "What is Enclave?" },
      ],
      user: "sdk-user",
    });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]!.message).toMatchObject({ role: "assistant", content: "Echo: What is Enclave?" });
    expect(res.usage).toMatchObject({ completion_tokens: 4 });
    const sent = w.fake.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages[0]).toMatchObject({ role: "system", content: "Be brief.\n\nAnswer in English." });
    expect(sent.messages.slice(1).map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const [row] = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.id, res.id.replace("chatcmpl-", "")));
    expect(row).toMatchObject({
      source: "openai",
      conversationId: null,
      query: "What is Enclave?",
      status: "normal",
    });
  });

  it("streams chunks that reassemble into the answer, with a usage chunk on request", async () => {
    const stream = await client.chat.completions.create({
      model: appId,
      messages: [{ role: "user", content: "stream this answer" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    const finishes: (string | null)[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Echo: stream this answer");
    expect(finishes.at(-1)).toBe("stop");
    expect(usage).toMatchObject({ completion_tokens: 4 });
  });

  it("errors come in OpenAI's shape: bad key 401, bad body 400, upstream failure 502", async () => {
    const bad = new OpenAI({ apiKey: "app-not-a-real-key", baseURL: w.apiBase, maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });
    await expect(
      client.chat.completions.create({ model: appId, messages: [{ role: "assistant", content: "x" }] }),
    ).rejects.toMatchObject({ status: 400, error: { code: "validation_failed" } });
    w.fake.behave("error500");
    await expect(
      client.chat.completions.create({ model: appId, messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 502, error: { code: "upstream_error" } });
    w.fake.behave("echo");
  });
});
