// The console's debug chat: editors talk to an app's draft, streamed like the service API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { messages } from "@enclave/db";
import type { ConsoleClient } from "../console-client.ts";
import { addMember } from "../identity-world.ts";
import { FAKE_MODEL } from "../fixtures/fake-model-server.ts";
import { setupChatWorld, type ChatWorld, parseSse } from "./chat-world.ts";

/** Starts a debug turn over real HTTP as `client` (inject would wait for the whole stream). */
async function openDebugStream(w: ChatWorld, client: ConsoleClient, appId: string, query: string) {
  const csrf = [...client.cookies].find(([k]) => k.replace(/^__Host-/, "") === "enclave_csrf")![1];
  const res = await fetch(`${w.apiBase.replace(/\/v1$/, "")}/console/api/apps/${appId}/chat-messages`, {
    method: "POST",
    headers: { cookie: client.cookieHeader(), "x-csrf-token": csrf, "content-type": "application/json" },
    body: JSON.stringify({ query, inputs: {}, response_mode: "streaming" }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const next = async () => (await reader.read()).value ?? "";
  let text = "";
  while (!text.includes("task_id")) text += await next();
  const taskId = parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2))[0]!.task_id as string;
  const rest = async () => {
    for (let chunk = await next(); chunk; chunk = await next()) text += chunk;
    return parseSse(text);
  };
  return { taskId, next, rest };
}

describe("console debug chat", () => {
  let w: ChatWorld;
  let appId: string;
  beforeAll(async () => {
    w = await setupChatWorld();
    const res = await w.editor.post("/console/api/apps", {
      name: "Draft only",
      mode: "chat",
      config: { model: { providerId: w.providerId, name: FAKE_MODEL }, prePrompt: "Draft prompt v1" },
    });
    appId = (res.json() as { id: string }).id;
  });
  afterAll(async () => w?.close());

  it("streams a turn against the unpublished draft and keeps it as a console message", async () => {
    const res = await w.editor.post(`/console/api/apps/${appId}/chat-messages`, {
      query: "hello draft",
      inputs: {},
      response_mode: "streaming",
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/event-stream/);
    const list = parseSse(res.body);
    expect(list.at(-1)).toMatchObject({ event: "message_end" });
    expect(
      list
        .filter((e) => e.event === "message")
        .map((e) => e.answer)
        .join(""),
    ).toBe("Echo: hello draft");
    const sent = w.fake.requests.at(-1)!.body as { messages: { content: unknown }[] };
    expect(sent.messages[0]!.content).toBe("Draft prompt v1");
    const [row] = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.id, list.at(-1)!.message_id as string));
    expect(row).toMatchObject({ source: "console", appVersionId: null, query: "hello draft" });
  });

  it("Stop ends the editor's own debug answer; another editor's or the owner's stop changes nothing", async () => {
    const { client: other } = await addMember(w.t, w.owner, "editor2@example.com", "editor");
    // The other editor has debug-chatted too, so the registry's owner check is what refuses.
    const own = await other.post(`/console/api/apps/${appId}/chat-messages`, { query: "mine", inputs: {} });
    expect(own.statusCode).toBe(200);
    w.fake.behave("slow", { delayMs: 150 });
    try {
      const stream = await openDebugStream(w, w.editor, appId, "one two three four five six seven eight");
      const stop = (c: ConsoleClient, taskId = stream.taskId) =>
        c.post(`/console/api/apps/${appId}/chat-messages/${taskId}/stop`);
      for (const stranger of [other, w.owner]) {
        const res = await stop(stranger);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ result: "success" }); // no oracle: the same answer as one that worked
      }
      expect(await stream.next()).toContain('"event":"message"'); // still generating
      expect((await stop(w.editor)).json()).toEqual({ result: "success" });
      const events = await stream.rest();
      const end = events.at(-1)!;
      expect(end.event).toBe("message_end");
      const [row] = await w.t.database.db
        .select()
        .from(messages)
        .where(eq(messages.id, end.message_id as string));
      expect(row!.status).toBe("stopped");
      expect(row!.answer!.split(" ").length).toBeLessThan(9);
    } finally {
      w.fake.behave("echo");
    }
  });

  it("stop: an unknown task is a quiet success; bad ids are 400; members 403; no CSRF token 403", async () => {
    const url = (task: string, app = appId) => `/console/api/apps/${app}/chat-messages/${task}/stop`;
    expect((await w.editor.post(url("not-running"))).json()).toEqual({ result: "success" });
    const long = await w.editor.post(url("x".repeat(65)));
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: "validation_failed" });
    expect((await w.editor.post(url("t", "not-a-uuid"))).statusCode).toBe(400);
    const { client: member } = await addMember(w.t, w.owner, "member2@example.com", "member");
    expect((await member.post(url("t"))).statusCode).toBe(403);
    expect((await w.editor.post(url("t"), {}, { csrf: false })).statusCode).toBe(403);
  });

  it("is for editors and up: a member gets 403, no session or no CSRF token 403, extra keys 400", async () => {
    const { client: member } = await addMember(w.t, w.owner, "member@example.com", "member");
    const body = { query: "x", inputs: {} };
    expect((await member.post(`/console/api/apps/${appId}/chat-messages`, body)).statusCode).toBe(403);
    const bare = await w.t.app.inject({
      method: "POST",
      url: `/console/api/apps/${appId}/chat-messages`,
      payload: body,
    });
    expect(bare.statusCode).toBe(403); // no session and no CSRF token: refused before anything runs
    const noCsrf = await w.editor.post(`/console/api/apps/${appId}/chat-messages`, body, { csrf: false });
    expect(noCsrf.statusCode).toBe(403);
    const strict = await w.editor.post(`/console/api/apps/${appId}/chat-messages`, {
      ...body,
      user: "spoof",
    });
    expect(strict.statusCode).toBe(400);
  });
});
