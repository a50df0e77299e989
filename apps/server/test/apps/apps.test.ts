import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { apps, appVersions } from "@enclave/db";
import type { AppView } from "@enclave/contracts";
import { createTestApp, type TestApp } from "../helpers.ts";
import { auditOf, createPublishableApp, seedProvider, setupAppsWorld, type AppsWorld } from "./apps-world.ts";

describe("console apps: CRUD, drafts and published versions", () => {
  let t: TestApp;
  let w: AppsWorld;

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupAppsWorld(t);
  });
  afterAll(() => t.close());

  it("creates an app that remembers its creator and starts unpublished", async () => {
    const res = await w.editor.client.post("/console/api/apps", {
      name: "Support bot",
      mode: "chat",
      description: "answers tickets",
    });
    expect(res.statusCode).toBe(201);
    const app = res.json() as AppView;
    expect(app).toMatchObject({
      name: "Support bot",
      mode: "chat",
      createdBy: w.editor.accountId,
      publishedVersion: null,
      logVisibility: "creator_and_admins",
      retainContent: true,
      retentionDays: null,
      enableApi: true,
      maxApiKeys: 10,
    });
    expect(app.config).toMatchObject({ model: null, prePrompt: "", memoryWindow: 10 });
    const list = (await w.member.client.get("/console/api/apps")).json() as { data: AppView[] };
    expect(list.data.map((a) => a.id)).toContain(app.id);
    const [event] = (await auditOf(t.database.db, "app.create")).filter((e) => e.targetId === app.id);
    expect(event).toMatchObject({ actorId: w.editor.accountId, details: { mode: "chat" } });
  });

  it("publishing freezes the draft: later draft edits do not change what is served", async () => {
    const app = await createPublishableApp(w.editor.client, w.providerId);
    const first = await w.editor.client.post(`/console/api/apps/${app.id}/publish`);
    expect(first.statusCode).toBe(200);
    expect((first.json() as AppView).publishedVersion).toMatchObject({ version: 1 });

    const edit = await w.editor.client.patch(`/console/api/apps/${app.id}`, {
      config: { model: { providerId: w.providerId, name: "chat-model" }, prePrompt: "Draft prompt." },
    });
    expect(edit.statusCode).toBe(200);
    expect((edit.json() as AppView).config.prePrompt).toBe("Draft prompt.");
    const v1 = await t.database.db.select().from(appVersions).where(eq(appVersions.appId, app.id));
    expect(v1).toHaveLength(1);
    expect(v1[0]!.config).toMatchObject({ prePrompt: "You are helpful." });

    const second = await w.admin.client.post(`/console/api/apps/${app.id}/publish`);
    expect((second.json() as AppView).publishedVersion).toMatchObject({ version: 2 });
    const versions = (await w.member.client.get(`/console/api/apps/${app.id}/versions`)).json() as {
      data: { version: number; config: { prePrompt: string }; createdBy: string }[];
    };
    expect(versions.data.map((v) => [v.version, v.config.prePrompt])).toEqual([
      [2, "Draft prompt."],
      [1, "You are helpful."],
    ]);
    expect(versions.data[0]!.createdBy).toBe(w.admin.accountId);
    // The versions list names the publisher, so the editor can show who published what.
    expect(versions.data.map((v) => (v as { createdByName?: string }).createdByName)).toEqual([
      "admin",
      "editor",
    ]);
    const events = (await auditOf(t.database.db, "app.publish")).filter((e) => e.targetId === app.id);
    expect(events.map((e) => e.details)).toEqual([
      expect.objectContaining({ version: 1 }),
      expect.objectContaining({ version: 2 }),
    ]);
    const [update] = (await auditOf(t.database.db, "app.update")).filter((e) => e.targetId === app.id);
    // Which settings changed, never their content.
    expect(update!.details).toEqual({ changed: ["config.prePrompt"] });
    expect(JSON.stringify(update!.details)).not.toContain("Draft prompt");
  });

  it("restores an old version into the draft: editors may, members may not; what is served stays", async () => {
    const app = await createPublishableApp(w.editor.client, w.providerId);
    const config = (prePrompt: string) => ({
      model: { providerId: w.providerId, name: "chat-model" },
      prePrompt,
    });
    await w.editor.client.post(`/console/api/apps/${app.id}/publish`);
    await w.editor.client.patch(`/console/api/apps/${app.id}`, { config: config("Second.") });
    await w.editor.client.post(`/console/api/apps/${app.id}/publish`);
    await w.editor.client.patch(`/console/api/apps/${app.id}`, { config: config("Scratch.") });
    const versions = (await w.editor.client.get(`/console/api/apps/${app.id}/versions`)).json() as {
      data: { id: string; version: number }[];
    };
    const v1 = versions.data.find((v) => v.version === 1)!.id;
    const restore = (c: typeof w.editor.client, versionId: string, appId = app.id) =>
      c.post(`/console/api/apps/${appId}/versions/${versionId}/restore`);

    expect((await restore(w.member.client, v1)).statusCode).toBe(403);
    const res = await restore(w.editor2.client, v1);
    expect(res.statusCode).toBe(200);
    const restored = res.json() as AppView;
    expect(restored.config.prePrompt).toBe("You are helpful.");
    // Only the draft changed: version 2 is still served and no version was added.
    expect(restored.publishedVersion).toMatchObject({ version: 2 });
    expect(await t.database.db.select().from(appVersions).where(eq(appVersions.appId, app.id))).toHaveLength(
      2,
    );
    const [event] = (await auditOf(t.database.db, "app.version.restore")).filter(
      (e) => e.targetId === app.id,
    );
    expect(event).toMatchObject({ actorId: w.editor2.accountId, details: { version: 1, versionId: v1 } });

    // Another app's version, an unknown one, a malformed id.
    const other = await createPublishableApp(w.editor.client, w.providerId);
    const wrongApp = await restore(w.editor.client, v1, other.id);
    expect(wrongApp.statusCode).toBe(404);
    expect(wrongApp.json()).toMatchObject({ code: "not_found" });
    expect((await restore(w.editor.client, "01900000-0000-7000-8000-000000000000")).statusCode).toBe(404);
    expect((await restore(w.editor.client, "v1")).json()).toMatchObject({ code: "validation_failed" });
    const draft = (await w.editor.client.get(`/console/api/apps/${other.id}`)).json() as AppView;
    expect(draft.config.prePrompt).toBe("You are helpful.");
  });

  it("refuses to publish without a model of a provider of this workspace (provider_not_initialize)", async () => {
    const bare = (
      await w.editor.client.post("/console/api/apps", { name: "No model", mode: "chat" })
    ).json() as {
      id: string;
    };
    const noModel = await w.editor.client.post(`/console/api/apps/${bare.id}/publish`);
    expect(noModel.statusCode).toBe(400);
    expect(noModel.json()).toMatchObject({ code: "provider_not_initialize" });

    const foreignProvider = await seedProvider(t.database.db, w.intruderWorkspaceId, ["chat-model"]);
    const foreign = await createPublishableApp(w.editor.client, foreignProvider);
    expect((await w.editor.client.post(`/console/api/apps/${foreign.id}/publish`)).json()).toMatchObject({
      code: "provider_not_initialize",
    });

    const wrongModel = await w.editor.client.post("/console/api/apps", {
      name: "Unknown model",
      mode: "chat",
      config: { model: { providerId: w.providerId, name: "not-listed" } },
    });
    const id = (wrongModel.json() as { id: string }).id;
    expect((await w.editor.client.post(`/console/api/apps/${id}/publish`)).json()).toMatchObject({
      code: "provider_not_initialize",
    });
    const [row] = await t.database.db.select().from(apps).where(eq(apps.id, id));
    expect(row!.publishedVersionId).toBeNull();
  });

  it("updates settings, and deletes with everything that belongs to the app", async () => {
    const app = await createPublishableApp(w.editor.client, w.providerId);
    const res = await w.editor2.client.patch(`/console/api/apps/${app.id}`, {
      name: "Renamed",
      enableApi: false,
      apiRpm: 30,
      maxApiKeys: 2,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: "Renamed", enableApi: false, apiRpm: 30, maxApiKeys: 2 });
    expect((await w.editor2.client.delete(`/console/api/apps/${app.id}`)).statusCode).toBe(204);
    expect((await w.editor.client.get(`/console/api/apps/${app.id}`)).statusCode).toBe(404);
    expect((await auditOf(t.database.db, "app.delete")).some((e) => e.targetId === app.id)).toBe(true);
  });

  it("role matrix: members read only; editors, admins and the owner write", async () => {
    const m = w.member.client;
    expect((await m.post("/console/api/apps", { name: "x", mode: "chat" })).statusCode).toBe(403);
    const app = await createPublishableApp(w.editor.client, w.providerId);
    expect((await m.get(`/console/api/apps/${app.id}`)).statusCode).toBe(200);
    expect((await m.patch(`/console/api/apps/${app.id}`, { name: "mine" })).statusCode).toBe(403);
    expect((await m.post(`/console/api/apps/${app.id}/publish`)).statusCode).toBe(403);
    expect((await m.get(`/console/api/apps/${app.id}/api-keys`)).statusCode).toBe(403);
    expect((await m.post(`/console/api/apps/${app.id}/api-keys`, {})).statusCode).toBe(403);
    expect((await m.delete(`/console/api/apps/${app.id}`)).statusCode).toBe(403);
    const [row] = await t.database.db.select().from(apps).where(eq(apps.id, app.id));
    expect(row!.name).toBe("Helpdesk");
    for (const c of [w.owner.client, w.admin.client, w.editor2.client]) {
      expect((await c.patch(`/console/api/apps/${app.id}`, { description: "ok" })).statusCode).toBe(200);
    }
    expect((await w.owner.client.delete(`/console/api/apps/${app.id}`)).statusCode).toBe(204);
  });

  it("an input form with a bad or repeated variable, or a default that is no option, is refused whole", async () => {
    const app = await createPublishableApp(w.editor.client, w.providerId);
    const text = (variable: string) => ({ "text-input": { label: "L", variable } });
    for (const userInputForm of [
      [text("1city")],
      [text("city name")],
      [text("x".repeat(65))],
      [text("city"), { select: { label: "C", variable: "city", options: ["a"] } }],
      [{ select: { label: "C", variable: "city", options: ["a", "b"], default: "c" } }],
      [{ number: { label: "N", variable: "n", min: 5, max: 1 } }],
      [{ select: { label: "C", variable: "city", options: [] } }],
    ]) {
      const res = await w.editor.client.patch(`/console/api/apps/${app.id}`, {
        name: "must not stick",
        config: { prePrompt: "about {{city}}", userInputForm },
      });
      expect(res.statusCode, JSON.stringify(userInputForm)).toBe(400);
      expect(res.json()).toMatchObject({ code: "validation_failed" });
    }
    const [row] = await t.database.db.select().from(apps).where(eq(apps.id, app.id));
    expect(row!.name).toBe("Helpdesk");
    expect((row!.draftConfig as { userInputForm: unknown[] }).userInputForm).toEqual([]);
    const ok = await w.editor.client.patch(`/console/api/apps/${app.id}`, {
      config: {
        prePrompt: "about {{city}}",
        userInputForm: [
          text("city"),
          { select: { label: "Tone", variable: "tone", options: ["dry", "warm"], default: "warm" } },
        ],
      },
    });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as AppView).config.userInputForm).toHaveLength(2);
  });

  it("mass assignment: server-set fields in a body are refused and nothing changes", async () => {
    for (const extra of [
      { workspaceId: w.intruderWorkspaceId },
      { createdBy: w.member.accountId },
      { id: "00000000-0000-7000-8000-000000000000" },
      { publishedVersionId: "00000000-0000-7000-8000-000000000000" },
    ]) {
      const created = await w.editor.client.post("/console/api/apps", { name: "x", mode: "chat", ...extra });
      expect(created.statusCode).toBe(400);
      expect(created.json()).toMatchObject({ code: "validation_failed" });
    }
    const app = await createPublishableApp(w.editor.client, w.providerId);
    for (const extra of [
      { createdBy: w.member.accountId },
      { workspaceId: w.intruderWorkspaceId },
      { mode: "completion" },
    ]) {
      const res = await w.editor.client.patch(`/console/api/apps/${app.id}`, { name: "changed", ...extra });
      expect(res.statusCode).toBe(400);
    }
    const configExtra = await w.editor.client.patch(`/console/api/apps/${app.id}`, {
      config: { prePrompt: "x", secretField: 1 },
    });
    expect(configExtra.statusCode).toBe(400);
    const [row] = await t.database.db.select().from(apps).where(eq(apps.id, app.id));
    expect(row).toMatchObject({
      name: "Helpdesk",
      createdBy: w.editor.accountId,
      workspaceId: w.workspaceId,
    });
    expect(
      (await w.editor.client.post(`/console/api/apps/${app.id}/api-keys`, { name: "k", appId: app.id }))
        .statusCode,
    ).toBe(400);
  });

  it("bad input answers 4xx with a code, never 5xx", async () => {
    const c = w.editor.client;
    expect((await c.get("/console/api/apps/not-a-uuid")).statusCode).toBe(400);
    expect((await c.post("/console/api/apps", { name: "", mode: "chat" })).statusCode).toBe(400);
    expect((await c.post("/console/api/apps", { name: "x", mode: "workflow" })).statusCode).toBe(400);
    const app = await createPublishableApp(c, w.providerId);
    expect((await c.patch(`/console/api/apps/${app.id}`, { retentionDays: 0 })).statusCode).toBe(400);
    expect((await c.get(`/console/api/apps/${app.id}/usage?from=2026-13-01`)).statusCode).toBe(400);
    expect((await c.get(`/console/api/apps/${app.id}/usage?from=2026-02-01&to=2026-01-01`)).statusCode).toBe(
      400,
    );
    expect((await c.get(`/console/api/apps/${app.id}/conversations?limit=1000`)).statusCode).toBe(400);
    expect((await c.get(`/console/api/apps/${app.id}/messages?conversation_id=x`)).statusCode).toBe(400);
  });
});

/**
 * Cross-tenant access (SECURITY.md row 1) on every app route: the owner of workspace B aims at
 * workspace A's app and key ids and gets 404, and A's objects are unchanged.
 */
describe("console apps: workspace isolation", () => {
  let t: TestApp;
  let w: AppsWorld;
  let appId: string;
  let keyId: string;
  let versionId: string;

  beforeAll(async () => {
    t = await createTestApp();
    w = await setupAppsWorld(t);
    appId = (await createPublishableApp(w.owner.client, w.providerId)).id;
    const published = await w.owner.client.post(`/console/api/apps/${appId}/publish`);
    versionId = (published.json() as AppView).publishedVersion!.id;
    keyId = (
      (await w.owner.client.post(`/console/api/apps/${appId}/api-keys`, { name: "k" })).json() as {
        id: string;
      }
    ).id;
  });
  afterAll(() => t.close());

  const rows: [method: "GET" | "POST" | "PATCH" | "DELETE", url: string, body?: unknown][] = [
    ["GET", "/console/api/apps/:id"],
    ["PATCH", "/console/api/apps/:id", { name: "pwned", logVisibility: "editors" }],
    ["DELETE", "/console/api/apps/:id"],
    ["POST", "/console/api/apps/:id/publish"],
    ["GET", "/console/api/apps/:id/versions"],
    ["GET", "/console/api/apps/:id/api-keys"],
    ["POST", "/console/api/apps/:id/api-keys", { name: "stolen" }],
    ["DELETE", "/console/api/apps/:id/api-keys/:keyId"],
    ["GET", "/console/api/apps/:id/conversations"],
    ["GET", "/console/api/apps/:id/messages"],
    ["GET", "/console/api/apps/:id/usage"],
    ["POST", "/console/api/apps/:id/chat-messages", { query: "leak the prompt", inputs: {} }],
    ["POST", "/console/api/apps/:id/chat-messages/:taskId/stop"],
    ["POST", "/console/api/apps/:id/versions/:versionId/restore"],
  ];

  it.each(rows)("%s %s with workspace A's ids → 404", async (method, url, body) => {
    const path = url
      .replace(":id", appId)
      .replace(":keyId", keyId)
      .replace(":taskId", "some-task")
      .replace(":versionId", versionId);
    const res = await w.intruder.request(method, path, body ?? (method === "GET" ? undefined : {}));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: "not_found" });
  });

  it("a key id of another app is 404 too, and A's app, version and key are unchanged", async () => {
    const other = await createPublishableApp(w.owner.client, w.providerId);
    expect((await w.owner.client.delete(`/console/api/apps/${other.id}/api-keys/${keyId}`)).statusCode).toBe(
      404,
    );
    const app = (await w.owner.client.get(`/console/api/apps/${appId}`)).json() as AppView;
    expect(app).toMatchObject({ name: "Helpdesk", logVisibility: "creator_and_admins" });
    expect(app.publishedVersion).toMatchObject({ version: 1 });
    const keys = (await w.owner.client.get(`/console/api/apps/${appId}/api-keys`)).json() as {
      data: { id: string }[];
    };
    expect(keys.data.map((k) => k.id)).toEqual([keyId]);
    expect(((await w.intruder.get("/console/api/apps")).json() as { data: unknown[] }).data).toEqual([]);
  });

  it("the table covers every app route that takes an id", () => {
    const covered = new Set(rows.map(([m, u]) => `${m} ${u}`));
    const routes = t.app.registeredRoutes
      .filter((r) => r.url.startsWith("/console/api/apps/:id") && r.method !== "HEAD")
      .map((r) => `${r.method} ${r.url}`);
    for (const route of routes) expect(covered, `add ${route} to the table`).toContain(route);
  });
});
