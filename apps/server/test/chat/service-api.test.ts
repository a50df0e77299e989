// The Dify-compatible service API driven by Dify's own Node SDK (`dify-client`) over real HTTP,
// with the local fake model server as the model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient, CompletionClient } from "dify-client";
import { eq } from "drizzle-orm";
import { appUsageDaily, conversations, messages } from "@enclave/db";
import { readSse, setupChatWorld, type ChatWorld, failure } from "./chat-world.ts";

interface Msg {
  event: string;
  id: string;
  message_id: string;
  conversation_id: string;
  mode: string;
  answer: string;
  metadata: { usage: Record<string, number | string> };
}
type Row = Record<string, unknown>;
interface Page {
  data: Row[];
  has_more: boolean;
}
const data = <T>(res: { data: unknown }) => res.data as T;
// dify-client's typings say `rating: number`; the API (and its own code) take "like" / "dislike".
const LIKE = "like" as unknown as number;
const DISLIKE = "dislike" as unknown as number;

describe("service API with dify-client", () => {
  let w: ChatWorld;
  let chat: ChatClient;
  let appId: string;

  beforeAll(async () => {
    w = await setupChatWorld();
    const created = await w.createApp({
      config: {
        prePrompt: "You answer questions about {{topic}}.",
        userInputForm: [{ "text-input": { label: "Topic", variable: "topic", required: true } }],
      },
    });
    appId = created.appId;
    chat = new ChatClient(created.token, w.apiBase);
  });
  afterAll(async () => w?.close());

  it("blocking chat: answer, usage with prices, conversation and message persisted", async () => {
    const res = await chat.createChatMessage({ topic: "tea" }, "What is sencha?", "u1");
    const body = data<Msg>(res);
    expect(body).toMatchObject({ event: "message", mode: "chat", answer: "Echo: What is sencha?" });
    expect(body.conversation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.message_id).toBe(body.id);
    expect(body.metadata.usage).toMatchObject({
      prompt_tokens: 8,
      completion_tokens: 4,
      total_tokens: 12,
      currency: "USD",
    });
    expect(Number(body.metadata.usage.total_price)).toBeCloseTo((8 * 2 + 4 * 8) / 1e6, 9);
    // The system prompt was rendered with the inputs.
    const sent = w.fake.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages[0]).toMatchObject({ role: "system", content: "You answer questions about tea." });

    const [row] = await w.t.database.db.select().from(messages).where(eq(messages.id, body.message_id));
    expect(row).toMatchObject({
      query: "What is sencha?",
      answer: "Echo: What is sencha?",
      status: "normal",
      totalTokens: 12,
    });
    const [usage] = await w.t.database.db.select().from(appUsageDaily).where(eq(appUsageDaily.appId, appId));
    expect(usage!.messages).toBeGreaterThanOrEqual(1);
  });

  it("continues a conversation with memory and lists it with its messages", async () => {
    const first = data<Msg>(await chat.createChatMessage({ topic: "tea" }, "First question", "u-mem"));
    const second = data<Msg>(
      await chat.createChatMessage({}, "Second question", "u-mem", false, first.conversation_id),
    );
    expect(second.conversation_id).toBe(first.conversation_id);
    const sent = w.fake.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(sent.messages[0]!.content).toBe("You answer questions about tea."); // inputs kept per conversation

    const list = data<Page>(await chat.getConversations("u-mem"));
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({
      id: first.conversation_id,
      name: "First question",
      status: "normal",
    });

    const history = data<Page>(await chat.getConversationMessages("u-mem", first.conversation_id));
    expect(history.data.map((m) => m.query)).toEqual(["First question", "Second question"]);
    expect(history.data[1]).toMatchObject({
      answer: "Echo: Second question",
      status: "normal",
      feedback: null,
    });
    const page = data<Page>(
      await chat.getConversationMessages("u-mem", first.conversation_id, second.message_id, 1),
    );
    expect(page).toMatchObject({ has_more: false, data: [{ id: first.message_id }] });
  });

  it("streaming chat: message chunks in order, then message_end with usage", async () => {
    const res = await chat.createChatMessage({ topic: "tea" }, "stream me please", "u1", true);
    expect(res.headers["content-type"]).toMatch(/text\/event-stream/);
    // Security headers reach a streamed response too (written before the first event).
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    const { events } = await readSse(res.data as AsyncIterable<Buffer>);
    const names = events.map((e) => e.event);
    expect(names.at(-1)).toBe("message_end");
    expect(names.slice(0, -1).every((n) => n === "message")).toBe(true);
    expect(events.map((e) => (e.event === "message" ? e.answer : "")).join("")).toBe(
      "Echo: stream me please",
    );
    const ids = new Set(events.map((e) => e.message_id));
    expect(ids.size).toBe(1);
    expect(events.every((e) => typeof e.task_id === "string" && typeof e.conversation_id === "string")).toBe(
      true,
    );
    expect(events.at(-1)).toMatchObject({ metadata: { usage: { completion_tokens: 4 } } });
  });

  it("feedback, rename and delete act on the caller's own objects only", async () => {
    const mine = data<Msg>(await chat.createChatMessage({ topic: "x" }, "hello there", "owner-1"));
    await chat.messageFeedback(mine.message_id, LIKE, "owner-1");
    const history = data<Page>(await chat.getConversationMessages("owner-1", mine.conversation_id));
    expect(history.data[0]!.feedback).toEqual({ rating: "like" });

    // Another end user of the same app sees none of it.
    expect((await chat.getConversations("intruder-2")).data).toMatchObject({ data: [] });
    expect((await failure(chat.getConversationMessages("intruder-2", mine.conversation_id))).status).toBe(
      404,
    );
    expect((await failure(chat.messageFeedback(mine.message_id, DISLIKE, "intruder-2"))).status).toBe(404);
    expect((await failure(chat.renameConversation(mine.conversation_id, "pwned", "intruder-2"))).status).toBe(
      404,
    );
    expect((await failure(chat.deleteConversation(mine.conversation_id, "intruder-2"))).status).toBe(404);
    const cont = await failure(
      chat.createChatMessage({}, "hijack", "intruder-2", false, mine.conversation_id),
    );
    expect(cont).toMatchObject({ status: 404, data: { code: "not_found", status: 404 } });

    const renamed = data<Msg>(await chat.renameConversation(mine.conversation_id, "Greeting", "owner-1"));
    expect(renamed).toMatchObject({ id: mine.conversation_id, name: "Greeting" });
    const del = await chat.deleteConversation(mine.conversation_id, "owner-1");
    expect(del.status).toBe(204);
    expect((await chat.getConversations("owner-1")).data).toMatchObject({ data: [] });
    const left = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, mine.conversation_id));
    expect(left).toHaveLength(0);
  });

  it("a key of app A cannot reach app B's conversations or messages", async () => {
    const b = await w.createApp();
    const chatB = new ChatClient(b.token, w.apiBase);
    const inB = data<Msg>(await chatB.createChatMessage({}, "secret of B", "shared-user"));
    expect((await chat.getConversations("shared-user")).data).toMatchObject({ data: [] });
    expect((await failure(chat.getConversationMessages("shared-user", inB.conversation_id))).status).toBe(
      404,
    );
    expect((await failure(chat.deleteConversation(inB.conversation_id, "shared-user"))).status).toBe(404);
    expect((await failure(chat.messageFeedback(inB.message_id, LIKE, "shared-user"))).status).toBe(404);
    const [still] = await w.t.database.db
      .select()
      .from(conversations)
      .where(eq(conversations.id, inB.conversation_id));
    expect(still).toBeDefined();
  });

  it("bad input gets Dify's error body with a code; nothing is written", async () => {
    const before = (await w.t.database.db.select().from(messages)).length;
    const missing = await failure(chat.createChatMessage({}, "no topic", "u1"));
    expect(missing).toMatchObject({ status: 400, data: { code: "invalid_param", status: 400 } });
    expect(String(missing.data.message)).toMatch(/topic/);
    const extra = await failure(
      chat.sendRequest("POST", "/chat-messages", { inputs: {}, query: "q", user: "u1", workspaceId: "x" }),
    );
    expect(extra).toMatchObject({ status: 400, data: { code: "invalid_param" } });
    const noQuery = await failure(chat.sendRequest("POST", "/chat-messages", { inputs: {}, user: "u1" }));
    expect(noQuery.status).toBe(400);
    const badConv = await failure(chat.createChatMessage({ topic: "t" }, "q", "u1", false, "not-a-uuid"));
    expect(badConv.status).toBe(404);
    expect((await w.t.database.db.select().from(messages)).length).toBe(before);
  });

  it("a completion endpoint call on a chat app is refused with Dify's code", async () => {
    const wrong = new CompletionClient((chat as unknown as { apiKey: string }).apiKey, w.apiBase);
    expect(await failure(wrong.createCompletionMessage({}, "u1"))).toMatchObject({
      status: 400,
      data: { code: "app_mode_mismatch" },
    });
  });
});

describe("completion apps", () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await setupChatWorld();
  });
  afterAll(async () => w?.close());

  it("renders the prompt template with inputs, blocking and streaming", async () => {
    const { token } = await w.createApp({
      mode: "completion",
      config: {
        prePrompt: "Translate to French: {{text}}",
        userInputForm: [{ paragraph: { label: "Text", variable: "text", required: true } }],
      },
    });
    const client = new CompletionClient(token, w.apiBase);
    const res = data<Msg>(await client.createCompletionMessage({ text: "good morning" }, "u1"));
    expect(res).toMatchObject({
      event: "message",
      mode: "completion",
      answer: "Echo: Translate to French: good morning",
    });
    expect(res.conversation_id).toBeUndefined();
    const streamed = await client.createCompletionMessage({ text: "good night" }, "u1", true);
    const { events } = await readSse(streamed.data as AsyncIterable<Buffer>);
    expect(events.at(-1)!.event).toBe("message_end");
    expect(
      events
        .filter((e) => e.event === "message")
        .map((e) => e.answer)
        .join(""),
    ).toBe("Echo: Translate to French: good night");
    const chat = new ChatClient(token, w.apiBase);
    expect(await failure(chat.createChatMessage({ text: "x" }, "q", "u1"))).toMatchObject({
      status: 400,
      data: { code: "not_chat_app" },
    });
  });
});
