// Chat runtime behaviour over real HTTP: upstream failures, timeouts, stop, agents with tools,
// no-content retention, and the provider key never leaking.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatClient } from "dify-client";
import { eq } from "drizzle-orm";
import { conversations, messages } from "@enclave/db";
import { readSse, setupChatWorld, PROVIDER_KEY, type ChatWorld, failure } from "./chat-world.ts";
import { captureLogs } from "../helpers.ts";

async function messageRow(w: ChatWorld, id: string) {
  const [row] = await w.t.database.db.select().from(messages).where(eq(messages.id, id));
  return row!;
}

describe("chat runtime", () => {
  let w: ChatWorld;
  let chat: ChatClient;
  const logs = captureLogs();

  beforeAll(async () => {
    w = await setupChatWorld({ MODEL_TIMEOUT_SECONDS: "2" }, { logger: logs.logger });
    chat = new ChatClient((await w.createApp()).token, w.apiBase);
  });
  afterAll(async () => w?.close());
  beforeEach(() => w.fake.behave("echo"));

  it("an upstream 500 becomes a clean 502 with a code; the message is saved as an error; no key leaks", async () => {
    w.fake.behave("error500");
    const stderr = vi.spyOn(process.stderr, "write");
    const consoleError = vi.spyOn(console, "error");
    const res = await failure(chat.createChatMessage({}, "hello", "u1"));
    const printed = [...stderr.mock.calls, ...consoleError.mock.calls].map((c) => String(c[0])).join("");
    stderr.mockRestore();
    consoleError.mockRestore();
    expect(printed).not.toContain(PROVIDER_KEY);
    expect(res).toMatchObject({ status: 502, data: { code: "upstream_error", status: 502 } });
    const all = await w.t.database.db.select().from(messages);
    const last = all.sort((a, b) => +a.createdAt - +b.createdAt).at(-1)!;
    expect(last).toMatchObject({ status: "error", query: "hello" });
    expect(last.error).toMatch(/upstream_error/);
    expect(JSON.stringify(res.data)).not.toContain(PROVIDER_KEY);
    expect(JSON.stringify(all)).not.toContain(PROVIDER_KEY);
    expect(logs.text()).not.toContain(PROVIDER_KEY);
  });

  it("an upstream 500 while streaming is an `error` event, then the stream ends", async () => {
    w.fake.behave("error500");
    const res = await chat.createChatMessage({}, "hello", "u1", true);
    const { events } = await readSse(res.data as AsyncIterable<Buffer>);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: "error", status: 502, code: "upstream_error" });
    expect(JSON.stringify(events)).not.toContain(PROVIDER_KEY);
    expect((await messageRow(w, events[0]!.message_id as string)).status).toBe("error");
  });

  it("a model that hangs times out (MODEL_TIMEOUT_SECONDS) with upstream_timeout instead of hanging", async () => {
    w.fake.behave("hang");
    const started = Date.now();
    const res = await failure(chat.createChatMessage({}, "hello", "u1"));
    expect(res).toMatchObject({ status: 504, data: { code: "upstream_timeout" } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a malformed stream ends with an error event and an error row, not a hang", async () => {
    w.fake.behave("malformed");
    const res = await chat.createChatMessage({}, "hello", "u1", true);
    const { events } = await readSse(res.data as AsyncIterable<Buffer>);
    expect(events.at(-1)).toMatchObject({ event: "error", code: "upstream_error" });
    expect((await messageRow(w, events.at(-1)!.message_id as string)).status).toBe("error");
  });

  it("stop aborts a running generation for its own end user of its own app only", async () => {
    const { token: otherToken } = await w.createApp();
    w.fake.behave("slow", { delayMs: 150 });
    const res = await chat.createChatMessage({}, "one two three four five six seven eight", "u-stop", true);
    const stream = res.data as AsyncIterable<Buffer>;
    const iterator = stream[Symbol.asyncIterator]();
    const first = (await iterator.next()).value!.toString();
    const taskId = JSON.parse(
      first
        .split("\n")
        .find((l: string) => l.startsWith("data: "))!
        .slice(6),
    ).task_id;
    // Someone else's stop — another end user, or the same user string through another app's key —
    // is "success" and does nothing.
    const foreign = await chat.sendRequest("POST", `/chat-messages/${taskId}/stop`, { user: "other" });
    expect(foreign.data).toEqual({ result: "success" });
    const otherApp = new ChatClient(otherToken, w.apiBase);
    const crossApp = await otherApp.sendRequest("POST", `/chat-messages/${taskId}/stop`, { user: "u-stop" });
    expect(crossApp.data).toEqual({ result: "success" });
    const next = (await iterator.next()).value!.toString();
    expect(next).toContain('"event":"message"'); // still generating: neither stop touched it
    const own = await chat.sendRequest("POST", `/chat-messages/${taskId}/stop`, { user: "u-stop" });
    expect(own.data).toEqual({ result: "success" });
    const rest = await readSse({ [Symbol.asyncIterator]: () => iterator });
    const end = rest.events.at(-1)!;
    expect(end.event).toBe("message_end");
    const row = await messageRow(w, end.message_id as string);
    expect(row.status).toBe("stopped");
    expect(row.answer!.split(" ").length).toBeLessThan(9);
  });

  it("a client that disconnects mid-stream stops the generation and the message is saved as stopped", async () => {
    w.fake.behave("slow", { delayMs: 200 });
    const before = w.fake.requests.length;
    const res = await fetch(`${w.apiBase}/chat-messages`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${(chat as unknown as { apiKey: string }).apiKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        inputs: {},
        query: "a b c d e f g h i j",
        user: "u-gone",
        response_mode: "streaming",
      }),
    });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const messageId = JSON.parse(new TextDecoder().decode(value).split("\n")[0]!.slice(6))
      .message_id as string;
    await reader.cancel();
    expect(w.fake.requests.length).toBe(before + 1);
    let row = null;
    for (let i = 0; i < 50 && !row; i++) {
      row = (await w.t.database.db.select().from(messages).where(eq(messages.id, messageId)))[0] ?? null;
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row?.status).toBe("stopped");
  });
});

describe("agent apps", () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await setupChatWorld();
  });
  afterAll(async () => w?.close());

  it("calls a built-in tool and streams agent_thought and agent_message events", async () => {
    w.fake.behave("tool-call");
    const { token } = await w.createApp({ mode: "agent-chat", config: { tools: ["current_time"] } });
    const chat = new ChatClient(token, w.apiBase);
    const res = await chat.createChatMessage({}, "what time is it?", "u1", true);
    const { events } = await readSse(res.data as AsyncIterable<Buffer>);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("agent_thought");
    expect(events[0]).toMatchObject({ position: 1, tool: "current_time" });
    expect(String(events[0]!.observation)).toMatch(/UTC \d{4}-\d{2}-\d{2}T/);
    expect(names).toContain("agent_message");
    expect(names.at(-1)).toBe("message_end");
    const text = events
      .filter((e) => e.event === "agent_message")
      .map((e) => e.answer)
      .join("");
    expect(text).toMatch(/^The tool said: .*UTC/);
    // The tool result went back to the model as a tool message.
    const second = w.fake.requests.at(-1)!.body as { messages: { role: string }[]; tools: unknown[] };
    expect(second.messages.at(-1)!.role).toBe("tool");
    expect(second.tools).toHaveLength(1);

    const conversationId = events.at(-1)!.conversation_id as string;
    const history = (await chat.getConversationMessages("u1", conversationId)).data as {
      data: { agent_thoughts: { tool: string; position: number }[] }[];
    };
    expect(history.data[0]!.agent_thoughts.map((t) => t.tool)).toEqual(["current_time", ""]);
  });

  it("http_get goes through the SSRF guard: metadata refused, an allowlisted host reached", async () => {
    const { token } = await w.createApp({ mode: "agent-chat", config: { tools: ["http_get"] } });
    const chat = new ChatClient(token, w.apiBase);
    const observe = async (url: string) => {
      w.fake.behave("tool-call", { toolArguments: { url } });
      const res = await chat.createChatMessage({}, "fetch it", "u1", true);
      const { events } = await readSse(res.data as AsyncIterable<Buffer>);
      expect(events.at(-1)!.event).toBe("message_end");
      return String(events.find((e) => e.event === "agent_thought")!.observation);
    };
    const before = w.fake.requests.length;
    expect(await observe("http://169.254.169.254/latest/meta-data/")).toMatch(/refused/);
    expect(await observe("http://[::ffff:169.254.169.254]/")).toMatch(/refused/);
    expect(await observe("file:///etc/passwd")).toMatch(/only http and https/);
    // 127.0.0.1 is on this workspace's allowlist (the fake model server lives there).
    expect(await observe(`${w.fake.url}/models`)).toMatch(/HTTP 200.*fake-model/s);
    const paths = w.fake.requests.slice(before).map((r) => r.path);
    expect(paths.filter((p) => p === "/v1/models")).toHaveLength(1);
  });
});

describe("no content retention", () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await setupChatWorld();
  });
  afterAll(async () => w?.close());

  it("keeps usage but no message text, inputs or names in the database", async () => {
    const { appId, token } = await w.createApp({
      config: {
        prePrompt: "Topic {{topic}}",
        userInputForm: [{ "text-input": { label: "Topic", variable: "topic", required: false } }],
      },
      settings: { retainContent: false },
    });
    const chat = new ChatClient(token, w.apiBase);
    const secret = "patient-record-7731-confidential";
    const first = (await chat.createChatMessage({ topic: secret }, `about ${secret}`, "u1")).data as {
      answer: string;
      conversation_id: string;
    };
    expect(first.answer).toContain(secret); // the caller still gets the answer
    await chat.createChatMessage({}, `again ${secret}`, "u1", false, first.conversation_id);
    const rows = await w.t.database.db.select().from(messages).where(eq(messages.appId, appId));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({
        query: null,
        answer: null,
        inputs: null,
        agentThoughts: null,
        status: "normal",
      });
      expect(row.totalTokens).toBeGreaterThan(0);
    }
    const convs = await w.t.database.db.select().from(conversations).where(eq(conversations.appId, appId));
    expect(convs).toHaveLength(1);
    expect(convs[0]).toMatchObject({ name: null, inputs: null });
    const dump = JSON.stringify([rows, convs]);
    expect(dump).not.toContain(secret);
    // Memory needs content: the second turn carried no history.
    const sent = w.fake.requests.at(-1)!.body as { messages: { role: string }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(["system", "user"]);
  });
});
