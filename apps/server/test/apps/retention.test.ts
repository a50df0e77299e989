import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import pino from "pino";
import { appUsageDaily, apps, conversations, endUsers, messages } from "@enclave/db";
import { InProcessQueue, purgeExpiredConversations, recordUsage, systemCtx } from "@enclave/core";
import { registerProcessors } from "../../src/worker/processors.ts";
import { createTestApp, type TestApp } from "../helpers.ts";
import {
  auditOf,
  bareCtx,
  createPublishableApp,
  seedConversation,
  setupAppsWorld,
  type AppsWorld,
} from "./apps-world.ts";

describe("retention purge", () => {
  let t: TestApp;
  let w: AppsWorld;
  const log = pino({ level: "silent" });

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupAppsWorld(t);
  });
  afterAll(() => t.close());

  it("removes only what is older than each app's retention; usage totals survive", async () => {
    const db = t.database.db;
    const kept = (await createPublishableApp(w.editor.client, w.providerId)).id;
    const purged = (await createPublishableApp(w.editor.client, w.providerId)).id;
    await w.admin.client.patch(`/console/api/apps/${purged}`, { retentionDays: 30 });
    const P = { workspaceId: w.workspaceId, appId: purged };
    const K = { workspaceId: w.workspaceId, appId: kept };

    const expired = await seedConversation(db, P, { externalId: "old", messages: 2, ageDays: 40 });
    const fresh = await seedConversation(db, P, { externalId: "new", messages: 2, ageDays: 1 });
    // Started long ago, still in use: its old message goes, the conversation and new message stay.
    const ongoing = await seedConversation(db, P, { externalId: "ongoing", messages: 1, ageDays: 45 });
    const [recent] = await db
      .insert(messages)
      .values({
        ...P,
        conversationId: ongoing.conversationId,
        endUserId: ongoing.endUserId,
        source: "api",
        status: "normal",
      })
      .returning({ id: messages.id });
    // A completion message (no conversation) past retention.
    const [completion] = await db
      .insert(messages)
      .values({
        ...P,
        endUserId: expired.endUserId,
        source: "api",
        status: "normal",
        createdAt: new Date(Date.now() - 31 * 86_400_000),
      })
      .returning({ id: messages.id });
    const untouched = await seedConversation(db, K, { externalId: "old", messages: 2, ageDays: 400 });
    await recordUsage(db, { ...P, day: "2026-01-01", promptTokens: 4, completionTokens: 4, totalTokens: 8 });

    const result = await purgeExpiredConversations(
      systemCtx({ db, log, services: {} }, "test", "purge-1"),
      new Date(),
      {
        batchSize: 1,
      },
    );
    expect(result).toEqual({ apps: 1, messages: 4, conversations: 1 });

    const left = await db.select({ id: messages.id }).from(messages).where(eq(messages.appId, purged));
    expect(left.map((m) => m.id).sort()).toEqual([...fresh.messageIds, recent!.id].sort());
    expect(left.map((m) => m.id)).not.toContain(completion!.id);
    const convs = await db
      .select({ id: conversations.id })
      .from(conversations)
      .where(eq(conversations.appId, purged));
    expect(convs.map((c) => c.id).sort()).toEqual([fresh.conversationId, ongoing.conversationId].sort());
    const other = await db
      .select({ id: messages.id })
      .from(messages)
      .where(inArray(messages.id, untouched.messageIds));
    expect(other).toHaveLength(2);
    expect(await db.select().from(appUsageDaily).where(eq(appUsageDaily.appId, purged))).toMatchObject([
      { day: "2026-01-01", messages: 1, totalTokens: 8 },
    ]);
    expect(await db.select().from(endUsers).where(eq(endUsers.appId, purged))).toHaveLength(3);

    const events = (await auditOf(db, "app.retention.purge")).filter((e) => e.targetId === purged);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorType: "system",
      workspaceId: w.workspaceId,
      details: { retentionDays: 30, messages: 4, conversations: 1, complete: true },
    });

    // Nothing left to purge: no second event.
    expect(await purgeExpiredConversations(systemCtx({ db, log, services: {} }, "test", "purge-2"))).toEqual({
      apps: 0,
      messages: 0,
      conversations: 0,
    });
    expect((await auditOf(db, "app.retention.purge")).filter((e) => e.targetId === purged)).toHaveLength(1);
  });

  it("runs as the apps.retention_purge job, and only as the system", async () => {
    const db = t.database.db;
    const app = (await createPublishableApp(w.editor.client, w.providerId)).id;
    await db.update(apps).set({ retentionDays: 1 }).where(eq(apps.id, app));
    const seeded = await seedConversation(db, { workspaceId: w.workspaceId, appId: app }, { ageDays: 3 });
    const queue = new InProcessQueue(log);
    registerProcessors(queue, log, { db });
    await queue.start();
    await queue.enqueue("apps.retention_purge", {});
    await queue.drain();
    expect(await queue.failed()).toEqual([]);
    await queue.close();
    expect(await db.select().from(conversations).where(eq(conversations.id, seeded.conversationId))).toEqual(
      [],
    );

    await expect(
      purgeExpiredConversations(
        bareCtx(db, {
          workspace: { id: w.workspaceId },
          actor: { type: "user", accountId: w.owner.accountId, sessionId: null, role: "owner" },
        }),
      ),
    ).rejects.toMatchObject({ code: "forbidden" });
  });
});
