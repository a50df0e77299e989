// The published web app's API (/app-api/<code>/…): visits, chat as a visitor, isolation between
// visitors and apps, CSRF, and sites that require a workspace login.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { AppView } from "@enclave/contracts";
import { endUsers, messages } from "@enclave/db";
import { ConsoleClient } from "../console-client.ts";
import { addMember } from "../identity-world.ts";
import { setupChatWorld, type ChatWorld, parseSse } from "./chat-world.ts";

async function visitor(w: ChatWorld, code: string, ip = "127.0.0.1"): Promise<ConsoleClient> {
  const client = new ConsoleClient(w.t.app, { remoteAddress: ip });
  await client.appCsrf(code);
  const res = await client.post(`/app-api/${code}/visit`);
  if (res.statusCode !== 200) throw new Error(`visit failed: ${res.statusCode} ${res.body}`);
  return client;
}

describe("published web app API", () => {
  let w: ChatWorld;
  let app: AppView;
  let appKey: string;
  beforeAll(async () => {
    w = await setupChatWorld();
    const { appId, token } = await w.createApp({ config: { openingStatement: "Hi, ask me anything." } });
    appKey = token;
    app = (await w.editor.get(`/console/api/apps/${appId}`)).json() as AppView;
  });
  afterAll(async () => w?.close());

  it("shows the site of a published app only; unknown, draft-only and switched-off codes are 404", async () => {
    const anon = new ConsoleClient(w.t.app);
    const site = await anon.get(`/app-api/${app.siteCode}/site`);
    expect(site.statusCode).toBe(200);
    expect(site.json()).toMatchObject({
      title: app.name,
      openingStatement: "Hi, ask me anything.",
      requireLogin: false,
    });
    expect(JSON.stringify(site.json())).not.toContain(app.id);

    const draft = (
      await w.editor.post("/console/api/apps", { name: "draft", mode: "chat" })
    ).json() as AppView;
    expect((await anon.get(`/app-api/${draft.siteCode}/site`)).statusCode).toBe(404);
    expect((await anon.get("/app-api/0123456789abcdef0123/site")).statusCode).toBe(404);
    expect((await anon.get("/app-api/..%2f..%2fetc/site")).statusCode).toBe(404);
  });

  it("a visitor chats (streaming), sees its own conversation, and the creator sees it in the logs", async () => {
    const v = await visitor(w, app.siteCode);
    const res = await v.post(`/app-api/${app.siteCode}/chat-messages`, {
      query: "hello from the web",
      inputs: {},
      response_mode: "streaming",
    });
    expect(res.statusCode).toBe(200);
    const list = parseSse(res.body);
    expect(list.at(-1)).toMatchObject({ event: "message_end" });
    const conversationId = list.at(-1)!.conversation_id as string;

    const mine = (await v.get(`/app-api/${app.siteCode}/conversations`)).json() as { data: { id: string }[] };
    expect(mine.data.map((c) => c.id)).toEqual([conversationId]);
    const [row] = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId));
    expect(row).toMatchObject({ source: "web", query: "hello from the web" });
    const [user] = await w.t.database.db.select().from(endUsers).where(eq(endUsers.id, row!.endUserId));
    expect(user!.externalId).toMatch(/^visitor:/);

    const logs = await w.editor.get(`/console/api/apps/${app.id}/conversations`);
    expect(logs.statusCode).toBe(200);
    expect(logs.body).toContain(conversationId);

    // Another visitor sees nothing of it.
    const other = await visitor(w, app.siteCode, "127.0.0.2");
    expect(
      ((await other.get(`/app-api/${app.siteCode}/conversations`)).json() as { data: unknown[] }).data,
    ).toEqual([]);
    const peek = await other.get(`/app-api/${app.siteCode}/messages?conversation_id=${conversationId}`);
    expect(peek.statusCode).toBe(404);
    const del = await other.request("DELETE", `/app-api/${app.siteCode}/conversations/${conversationId}`, {});
    expect(del.statusCode).toBe(404);
  });

  it("every visitor route refuses another visitor's ids (the table covers every /app-api route)", async () => {
    const owner = await visitor(w, app.siteCode);
    const sent = await owner.post(`/app-api/${app.siteCode}/chat-messages`, { query: "mine", inputs: {} });
    const { conversation_id: conv, message_id: msg } = sent.json() as {
      conversation_id: string;
      message_id: string;
    };
    const other = await visitor(w, app.siteCode, "127.0.0.3");
    const c = app.siteCode;
    const rows: [string, string, string, unknown?][] = [
      ["GET", "/app-api/:code/messages", `/app-api/${c}/messages?conversation_id=${conv}`],
      ["DELETE", "/app-api/:code/conversations/:id", `/app-api/${c}/conversations/${conv}`, {}],
      [
        "POST",
        "/app-api/:code/conversations/:id/name",
        `/app-api/${c}/conversations/${conv}/name`,
        { name: "x" },
      ],
      [
        "POST",
        "/app-api/:code/messages/:id/feedbacks",
        `/app-api/${c}/messages/${msg}/feedbacks`,
        { rating: "like" },
      ],
      [
        "POST",
        "/app-api/:code/chat-messages",
        `/app-api/${c}/chat-messages`,
        { query: "q", inputs: {}, conversation_id: conv },
      ],
    ];
    for (const [method, , path, body] of rows) {
      const res = await other.request(method as "GET", path, body);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
    }
    // Listing, stopping and completion have no foreign id to take: covered by the tests above and below.
    const covered = new Set([
      ...rows.map(([m, u]) => `${m} ${u}`),
      "GET /app-api/:code/site",
      "GET /app-api/:code/csrf", // embed-cookies.test.ts
      "POST /app-api/:code/visit",
      "GET /app-api/:code/conversations",
      "POST /app-api/:code/chat-messages/:task_id/stop",
      "POST /app-api/:code/completion-messages",
    ]);
    const routes = w.t.app.registeredRoutes
      .filter((r) => r.url.startsWith("/app-api/") && r.method !== "HEAD")
      .map((r) => `${r.method} ${r.url}`);
    for (const route of routes) expect(covered, `cover ${route}`).toContain(route);
    const history = (await owner.get(`/app-api/${c}/messages?conversation_id=${conv}`)).json() as {
      data: { feedback: unknown }[];
    };
    expect(history.data).toHaveLength(1);
    expect(history.data[0]!.feedback).toBeNull();
  });

  it("the app's service API key cannot act as a web visitor or as an editor's debug pane", async () => {
    const v = await visitor(w, app.siteCode, "127.0.0.9");
    const chatted = await v.post(`/app-api/${app.siteCode}/chat-messages`, {
      query: "visitor secret",
      inputs: {},
      response_mode: "blocking",
    });
    expect(chatted.statusCode).toBe(200);
    const conversationId = (chatted.json() as { conversation_id: string }).conversation_id;
    const [msg] = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId));
    const [user] = await w.t.database.db.select().from(endUsers).where(eq(endUsers.id, msg!.endUserId));
    const debugUser = `console:${(await w.editor.get("/console/api/account")).json().id as string}`;
    const before = (await w.t.database.db.select().from(messages)).length;

    const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${w.apiBase}${path}`, {
        method,
        headers: { authorization: `Bearer ${appKey}`, "content-type": "application/json", ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    for (const u of [user!.externalId, ` ${user!.externalId}`, debugUser, "Account:x", "visitor:anything"]) {
      const q = encodeURIComponent(u);
      const attempts = [
        await api("GET", `/conversations?user=${q}`),
        await api("GET", `/messages?user=${q}&conversation_id=${conversationId}`),
        await api("POST", "/chat-messages", {
          query: "hijack",
          inputs: {},
          user: u,
          conversation_id: conversationId,
        }),
        await api("DELETE", `/conversations/${conversationId}`, { user: u }),
        await api("POST", "/chat/completions", {
          model: "app",
          user: u,
          messages: [{ role: "user", content: "hi" }],
        }),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(400);
        // Dify's `{code}`, or OpenAI's `{error: {code}}` on /chat/completions.
        const body = (await res.json()) as { code?: string; error?: { code?: string; message?: string } };
        expect(body.code ?? body.error?.code).toMatch(/invalid_param|validation_failed|invalid_request/);
        expect(JSON.stringify(body)).toMatch(/may not start with/);
      }
      const form = new FormData();
      form.set("user", u);
      form.set("file", new Blob(["hello"], { type: "text/plain" }), "a.txt");
      const upload = await fetch(`${w.apiBase}/files/upload`, {
        method: "POST",
        headers: { authorization: `Bearer ${appKey}` },
        body: form,
      });
      expect(upload.status).toBe(400);
    }
    // Nothing was written or removed, and the visitor still has its conversation.
    expect((await w.t.database.db.select().from(messages)).length).toBe(before);
    const mine = (await v.get(`/app-api/${app.siteCode}/conversations`)).json() as { data: { id: string }[] };
    expect(mine.data.map((c) => c.id)).toContain(conversationId);
    // An ordinary `user` string still works.
    expect((await api("GET", "/conversations?user=integration-7")).status).toBe(200);
  });

  it("a visitor cannot pick its `user`, needs CSRF and a visit, and a visit works for its own app only", async () => {
    const v = await visitor(w, app.siteCode);
    const spoof = await v.post(`/app-api/${app.siteCode}/chat-messages`, {
      query: "x",
      inputs: {},
      user: "victim",
    });
    expect(spoof.statusCode).toBe(400);
    const spoofQuery = await v.get(`/app-api/${app.siteCode}/conversations?user=victim`);
    expect(spoofQuery.statusCode).toBe(400);
    const noCsrf = await v.post(
      `/app-api/${app.siteCode}/chat-messages`,
      { query: "x", inputs: {} },
      { csrf: false },
    );
    expect(noCsrf.statusCode).toBe(403);

    const stranger = new ConsoleClient(w.t.app);
    await stranger.appCsrf(app.siteCode);
    expect(
      (await stranger.post(`/app-api/${app.siteCode}/chat-messages`, { query: "x", inputs: {} })).statusCode,
    ).toBe(401);

    // App A's visit cookie presented as app B's.
    const { appId: otherId } = await w.createApp();
    const b = (await w.editor.get(`/console/api/apps/${otherId}`)).json() as AppView;
    const cookieA = [...v.cookies].find(([k]) => k.endsWith(`enclave_visit_${app.siteCode}`))!;
    v.cookies.set(cookieA[0].replace(app.siteCode, b.siteCode), cookieA[1]);
    expect((await v.get(`/app-api/${b.siteCode}/conversations`)).statusCode).toBe(401);
    // A tampered visit cookie is refused too.
    v.cookies.set(
      cookieA[0],
      cookieA[1].replace(/.$/, (c) => (c === "0" ? "1" : "0")),
    );
    expect((await v.get(`/app-api/${app.siteCode}/conversations`)).statusCode).toBe(401);
  });

  it("a site that requires login serves active members only, and stops when they are removed", async () => {
    const { appId } = await w.createApp({ settings: { siteRequireLogin: true } });
    const site = (await w.editor.get(`/console/api/apps/${appId}`)).json() as AppView;
    expect(site.siteRequireLogin).toBe(true);
    const anon = new ConsoleClient(w.t.app);
    await anon.appCsrf(site.siteCode);
    expect((await anon.post(`/app-api/${site.siteCode}/visit`)).statusCode).toBe(401);

    const member = await addMember(w.t, w.owner, "reader@example.com", "member");
    await member.client.appCsrf(site.siteCode);
    expect((await member.client.post(`/app-api/${site.siteCode}/visit`)).statusCode).toBe(200);
    const chat = await member.client.post(`/app-api/${site.siteCode}/chat-messages`, {
      query: "hi",
      inputs: {},
    });
    expect(chat.statusCode).toBe(200);
    const conversationId = (chat.json() as { conversation_id: string }).conversation_id;
    const [row] = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId));
    const [user] = await w.t.database.db.select().from(endUsers).where(eq(endUsers.id, row!.endUserId));
    expect(user!.externalId).toBe(`account:${member.accountId}`);

    await w.owner.delete(`/console/api/workspaces/current/members/${member.memberId}`);
    expect((await member.client.get(`/app-api/${site.siteCode}/conversations`)).statusCode).toBe(401);
  });
});
