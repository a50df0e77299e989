// The console's debug chat: editors talk to an app's draft, streamed like the service API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { messages } from "@enclave/db";
import { addMember } from "../identity-world.ts";
import { FAKE_MODEL } from "../fixtures/fake-model-server.ts";
import { setupChatWorld, type ChatWorld, parseSse } from "./chat-world.ts";

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
