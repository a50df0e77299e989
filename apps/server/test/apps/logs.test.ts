import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { apps, messageFeedbacks, messages } from "@enclave/db";
import type { ConversationLogView, MessageLogView, Page, UsageView } from "@enclave/contracts";
import { recordUsage } from "@enclave/core";
import type { ConsoleClient } from "../console-client.ts";
import { createTestApp, type TestApp } from "../helpers.ts";
import {
  auditOf,
  createPublishableApp,
  seedConversation,
  setupAppsWorld,
  type AppsWorld,
} from "./apps-world.ts";

/**
 * Issue 4 item 7: an app's conversation logs are visible to the owner, admins and the app's
 * creator by default; the app can widen that to every editor or narrow it to the owner alone, and
 * every read (and refused read) is an audit event naming the reader and the app.
 */
describe("conversation-log visibility", () => {
  let t: TestApp;
  let w: AppsWorld;
  let appX: string;
  let conversationId: string;

  const conversationsOf = (c: ConsoleClient, query = "") =>
    c.get(`/console/api/apps/${appX}/conversations${query}`);
  const views = async (actorId: string, outcome = "success") =>
    (await auditOf(t.database.db, "app.logs.view")).filter(
      (e) => e.actorId === actorId && e.targetId === appX && e.outcome === outcome,
    );

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupAppsWorld(t);
    // X is created by an editor; editor2 is another editor who did not create it.
    appX = (await createPublishableApp(w.editor.client, w.providerId)).id;
    const ids = { workspaceId: w.workspaceId, appId: appX };
    ({ conversationId } = await seedConversation(t.database.db, ids, {
      externalId: "u1",
      messages: 3,
      ageDays: 2,
    }));
    await seedConversation(t.database.db, ids, { externalId: "u2", messages: 1 });
  });
  afterAll(() => t.close());

  it("by default an editor who did not create the app is refused, and the refusal is audited", async () => {
    const res = await conversationsOf(w.editor2.client);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "forbidden" });
    expect(res.body).not.toContain("u1");
    const messagesRes = await w.editor2.client.get(
      `/console/api/apps/${appX}/messages?conversation_id=${conversationId}`,
    );
    expect(messagesRes.statusCode).toBe(403);
    expect(messagesRes.body).not.toContain("question");
    const denied = await views(w.editor2.accountId, "denied");
    expect(denied.map((e) => e.details)).toEqual([
      expect.objectContaining({ endpoint: "conversations", logVisibility: "creator_and_admins" }),
      expect.objectContaining({ endpoint: "messages" }),
    ]);
  });

  it("the creator, admins and the owner read them; each read is an audit event naming reader and app", async () => {
    for (const reader of [w.editor, w.admin, w.owner]) {
      const before = (await views(reader.accountId)).length;
      const res = await conversationsOf(reader.client);
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      const page = res.json() as Page<ConversationLogView>;
      expect(page.total).toBe(2);
      expect(page.data.map((c) => [c.endUser, c.messageCount])).toEqual([
        ["u2", 1],
        ["u1", 3],
      ]);
      const after = await views(reader.accountId);
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)).toMatchObject({
        actorType: "user",
        targetType: "app",
        workspaceId: w.workspaceId,
        details: { endpoint: "conversations", count: 2, page: 1 },
      });
    }
  });

  it("members never read logs, whatever the setting", async () => {
    for (const visibility of ["creator_and_admins", "editors", "owner_only"] as const) {
      await t.database.db.update(apps).set({ logVisibility: visibility }).where(eq(apps.id, appX));
      expect((await conversationsOf(w.member.client)).statusCode).toBe(403);
    }
    await t.database.db.update(apps).set({ logVisibility: "creator_and_admins" }).where(eq(apps.id, appX));
    expect(await views(w.member.accountId)).toHaveLength(0);
  });

  it("an editor cannot widen the visibility; an admin can, to every editor (audited old → new)", async () => {
    const refused = await w.editor.client.patch(`/console/api/apps/${appX}`, { logVisibility: "editors" });
    expect(refused.statusCode).toBe(403);
    expect(
      (await w.editor.client.patch(`/console/api/apps/${appX}`, { retainContent: false })).statusCode,
    ).toBe(403);
    expect((await w.editor.client.patch(`/console/api/apps/${appX}`, { retentionDays: 7 })).statusCode).toBe(
      403,
    );
    // Sending the current value is not a change.
    expect(
      (await w.editor.client.patch(`/console/api/apps/${appX}`, { logVisibility: "creator_and_admins" }))
        .statusCode,
    ).toBe(200);
    const [row] = await t.database.db.select().from(apps).where(eq(apps.id, appX));
    expect(row).toMatchObject({
      logVisibility: "creator_and_admins",
      retainContent: true,
      retentionDays: null,
    });

    const widened = await w.admin.client.patch(`/console/api/apps/${appX}`, { logVisibility: "editors" });
    expect(widened.statusCode).toBe(200);
    const [event] = (await auditOf(t.database.db, "app.update")).filter(
      (e) => e.targetId === appX && e.actorId === w.admin.accountId,
    );
    expect(event!.details).toEqual({
      changed: ["logVisibility"],
      logVisibility: { from: "creator_and_admins", to: "editors" },
    });
    expect((await conversationsOf(w.editor2.client)).statusCode).toBe(200);
    expect(await views(w.editor2.accountId)).toHaveLength(1);
  });

  it("owner_only narrows to the owner: the creator and admins are refused, and admins cannot undo it", async () => {
    expect(
      (await w.owner.client.patch(`/console/api/apps/${appX}`, { logVisibility: "owner_only" })).statusCode,
    ).toBe(200);
    for (const reader of [w.editor, w.editor2, w.admin]) {
      expect((await conversationsOf(reader.client)).statusCode).toBe(403);
    }
    expect((await conversationsOf(w.owner.client)).statusCode).toBe(200);
    const undo = await w.admin.client.patch(`/console/api/apps/${appX}`, {
      logVisibility: "creator_and_admins",
    });
    expect(undo.statusCode).toBe(403);
    expect((await w.admin.client.get(`/console/api/apps/${appX}`)).json()).toMatchObject({
      logVisibility: "owner_only",
    });
    await w.owner.client.patch(`/console/api/apps/${appX}`, { logVisibility: "creator_and_admins" });
  });

  it("messages: a conversation's transcript with tokens and feedback, paginated", async () => {
    const [first] = await t.database.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(messages.createdAt)
      .limit(1);
    await t.database.db.insert(messageFeedbacks).values({
      workspaceId: w.workspaceId,
      appId: appX,
      messageId: first!.id,
      endUserId: first!.endUserId,
      rating: "like",
      content: "great",
    });
    const res = await w.editor.client.get(
      `/console/api/apps/${appX}/messages?conversation_id=${conversationId}&limit=2`,
    );
    expect(res.statusCode).toBe(200);
    const page = res.json() as Page<MessageLogView>;
    expect(page).toMatchObject({ page: 1, limit: 2, total: 3, hasMore: true });
    expect(page.data[0]).toMatchObject({
      id: first!.id,
      conversationId,
      endUser: "u1",
      query: "question 0",
      answer: "answer 0",
      status: "normal",
      tokens: { prompt: 3, completion: 2, total: 5 },
      price: null,
      feedback: { rating: "like", content: "great" },
    });
    const second = (
      await w.editor.client.get(
        `/console/api/apps/${appX}/messages?conversation_id=${conversationId}&limit=2&page=2`,
      )
    ).json() as Page<MessageLogView>;
    expect(second.data.map((m) => m.query)).toEqual(["question 2"]);
    expect(second.hasMore).toBe(false);
    const [event] = (await views(w.editor.accountId)).filter(
      (e) => (e.details as { endpoint: string }).endpoint === "messages",
    );
    expect(event!.details).toMatchObject({ endpoint: "messages", conversationId, count: 2 });
  });

  it("filters by end user and date range; a conversation of another app is 404", async () => {
    const byUser = (
      await conversationsOf(w.owner.client, "?end_user=u2")
    ).json() as Page<ConversationLogView>;
    expect(byUser.data.map((c) => c.endUser)).toEqual(["u2"]);
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const recent = (
      await conversationsOf(w.owner.client, `?from=${since}`)
    ).json() as Page<ConversationLogView>;
    expect(recent.data.map((c) => c.endUser)).toEqual(["u2"]);
    const older = (await conversationsOf(w.owner.client, `?to=${since}`)).json() as Page<ConversationLogView>;
    expect(older.data.map((c) => c.endUser)).toEqual(["u1"]);
    const all = (
      await w.owner.client.get(`/console/api/apps/${appX}/messages?end_user=u1`)
    ).json() as Page<MessageLogView>;
    expect(all.total).toBe(3);

    const other = (await createPublishableApp(w.editor.client, w.providerId)).id;
    const foreign = await w.editor.client.get(
      `/console/api/apps/${other}/messages?conversation_id=${conversationId}`,
    );
    expect(foreign.statusCode).toBe(404);
  });

  it("an app keeping no content shows usage metadata with empty text", async () => {
    const app = (await createPublishableApp(w.editor.client, w.providerId)).id;
    expect(
      (await w.admin.client.patch(`/console/api/apps/${app}`, { retainContent: false })).statusCode,
    ).toBe(200);
    const seeded = await seedConversation(
      t.database.db,
      { workspaceId: w.workspaceId, appId: app },
      { messages: 1 },
    );
    await t.database.db
      .update(messages)
      .set({ query: null, answer: null, inputs: null })
      .where(and(eq(messages.appId, app), eq(messages.conversationId, seeded.conversationId)));
    const page = (
      await w.editor.client.get(`/console/api/apps/${app}/messages`)
    ).json() as Page<MessageLogView>;
    expect(page.data[0]).toMatchObject({ query: null, answer: null, inputs: null, tokens: { total: 5 } });
  });

  it("if the audit row cannot be written, the logs are not returned", async () => {
    const inbox = (await t.database.db.execute(
      sql`select to_regclass('audit_inbox') is not null as present`,
    )) as { rows: { present: boolean }[] };
    const table = inbox.rows[0]!.present ? sql`audit_inbox` : sql`audit_events`;
    await t.database.db.execute(
      sql`alter table ${table} add constraint no_log_views check (action <> 'app.logs.view') not valid`,
    );
    try {
      const res = await conversationsOf(w.owner.client);
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain("u1");
    } finally {
      await t.database.db.execute(sql`alter table ${table} drop constraint no_log_views`);
    }
  });
});

describe("usage per app per day", () => {
  let t: TestApp;
  let w: AppsWorld;

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupAppsWorld(t);
  });
  afterAll(() => t.close());

  it("adds messages up per UTC day (one upsert each) and answers every day of the range", async () => {
    const app = (await createPublishableApp(w.editor.client, w.providerId)).id;
    const ids = { workspaceId: w.workspaceId, appId: app };
    const db = t.database.db;
    await recordUsage(db, {
      ...ids,
      day: "2026-03-01",
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      price: "0.0015",
    });
    await recordUsage(db, {
      ...ids,
      day: "2026-03-01",
      promptTokens: 1,
      completionTokens: 1,
      totalTokens: 2,
      price: 0.0001,
    });
    await recordUsage(db, {
      ...ids,
      day: "2026-03-03",
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      error: true,
    });
    const res = await w.member.client.get(`/console/api/apps/${app}/usage?from=2026-03-01&to=2026-03-03`);
    expect(res.statusCode).toBe(200);
    const usage = res.json() as UsageView;
    expect(usage.data).toEqual([
      {
        day: "2026-03-01",
        messages: 2,
        errors: 0,
        promptTokens: 11,
        completionTokens: 6,
        totalTokens: 17,
        price: "0.0016",
      },
      {
        day: "2026-03-02",
        messages: 0,
        errors: 0,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
        price: "0",
      },
      {
        day: "2026-03-03",
        messages: 1,
        errors: 1,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
        price: "0",
      },
    ]);
    expect(usage.totals).toEqual({
      messages: 3,
      errors: 1,
      promptTokens: 11,
      completionTokens: 6,
      totalTokens: 17,
      price: "0.0016",
    });
    const defaults = (await w.member.client.get(`/console/api/apps/${app}/usage`)).json() as UsageView;
    expect(defaults.data).toHaveLength(30);
    expect(
      (await w.member.client.get(`/console/api/apps/${app}/usage?from=2024-01-01&to=2026-01-01`)).statusCode,
    ).toBe(400);
  });
});
