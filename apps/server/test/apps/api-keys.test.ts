import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { appApiKeys } from "@enclave/db";
import type { ApiKeyView, CreatedApiKey } from "@enclave/contracts";
import { authenticateAppKey, clearAppKeyCache, loadServingApp } from "@enclave/core";
import { createTestApp, type TestApp } from "../helpers.ts";
import { auditOf, bareCtx, createPublishableApp, setupAppsWorld, type AppsWorld } from "./apps-world.ts";

// A service-API-shaped probe: authenticates with the app key and loads the served app.
async function probe(app: FastifyInstance) {
  app.get(
    "/test-probe/serving",
    { config: { permission: "app.invoke", auth: "appKey" } },
    async (request) => {
      const served = await loadServingApp(request.ctx, "api");
      return { appId: served.id, version: served.versionId, prePrompt: served.config.prePrompt };
    },
  );
}

describe("service API keys", () => {
  let t: TestApp;
  let w: AppsWorld;
  let appA: string;
  let appB: string;

  const call = (token: string) =>
    t.app.inject({
      method: "GET",
      url: "/test-probe/serving",
      headers: { authorization: `Bearer ${token}` },
    });
  const createKey = async (appId: string, name = "prod") => {
    const res = await w.editor.client.post(`/console/api/apps/${appId}/api-keys`, { name });
    expect(res.statusCode).toBe(201);
    return res.json() as CreatedApiKey;
  };

  beforeAll(async () => {
    t = await createTestApp({ extraRoutes: [probe] });
    w = await setupAppsWorld(t);
    appA = (await createPublishableApp(w.editor.client, w.providerId)).id;
    appB = (await createPublishableApp(w.editor.client, w.providerId)).id;
    await w.editor.client.post(`/console/api/apps/${appA}/publish`);
    await w.editor.client.post(`/console/api/apps/${appB}/publish`);
  });
  afterAll(() => t.close());

  it("shows the token once; the database holds only its hash and prefix", async () => {
    const res = await w.editor.client.post(`/console/api/apps/${appA}/api-keys`, { name: "prod" });
    expect(res.headers["cache-control"]).toBe("no-store");
    const key = res.json() as CreatedApiKey;
    expect(key.token).toMatch(/^app-[A-Za-z0-9_-]{43}$/);
    expect(key.prefix).toBe(key.token.slice(0, 8));

    const list = await w.editor.client.get(`/console/api/apps/${appA}/api-keys`);
    expect(list.body).not.toContain(key.token);
    expect(list.body).not.toContain(key.token.slice(8));
    const view = (list.json() as { data: ApiKeyView[] }).data.find((k) => k.id === key.id);
    expect(view).toEqual({
      id: key.id,
      name: "prod",
      prefix: key.prefix,
      createdBy: w.editor.accountId,
      createdAt: key.createdAt,
      lastUsedAt: null,
    });

    // Every column of every key row, as text: the token is nowhere; its SHA-256 is.
    const dump = (await t.database.db.execute(sql`select row_to_json(k)::text as j from app_api_keys k`)) as {
      rows: { j: string }[];
    };
    const text = dump.rows.map((r) => r.j).join("\n");
    expect(text).not.toContain(key.token);
    expect(text).not.toContain(key.token.slice(8));
    const { createHash } = await import("node:crypto");
    expect(text).toContain(createHash("sha256").update(key.token).digest("hex"));
    const [event] = (await auditOf(t.database.db, "app.api_key.create")).filter((e) => e.targetId === key.id);
    expect(JSON.stringify(event)).not.toContain(key.token);
  });

  it("a key authenticates as its own app only and serves the published version", async () => {
    const a = await createKey(appA);
    const b = await createKey(appB);
    expect((await call(a.token)).json()).toMatchObject({ appId: appA, prePrompt: "You are helpful." });
    expect((await call(b.token)).json()).toMatchObject({ appId: appB });
    const auth = await authenticateAppKey(bareCtx(t.database.db), a.token);
    expect(auth).toEqual({ keyId: a.id, appId: appA, workspaceId: w.workspaceId });
    // Tampered or unknown tokens are nobody.
    expect(await authenticateAppKey(bareCtx(t.database.db), `${a.token.slice(0, -1)}x`)).toBeNull();
    expect((await call("app-unknown")).statusCode).toBe(401);
    expect((await call(a.token.replace("app-", "sk-"))).statusCode).toBe(401);
  });

  it("touches last_used_at at most once a minute", async () => {
    const key = await createKey(appA);
    await call(key.token);
    const [first] = await t.database.db.select().from(appApiKeys).where(eq(appApiKeys.id, key.id));
    expect(first!.lastUsedAt).not.toBeNull();
    await call(key.token);
    const [second] = await t.database.db.select().from(appApiKeys).where(eq(appApiKeys.id, key.id));
    expect(second!.lastUsedAt!.getTime()).toBe(first!.lastUsedAt!.getTime());
    const old = new Date(Date.now() - 120_000);
    await t.database.db.update(appApiKeys).set({ lastUsedAt: old }).where(eq(appApiKeys.id, key.id));
    clearAppKeyCache(); // keys are cached for 2 s per process; this test edits the row directly
    await call(key.token);
    const [third] = await t.database.db.select().from(appApiKeys).where(eq(appApiKeys.id, key.id));
    expect(third!.lastUsedAt!.getTime()).toBeGreaterThan(old.getTime() + 60_000);
  });

  it("a revoked key gets 401 at once; its row stays for the audit trail", async () => {
    const key = await createKey(appA, "to revoke");
    expect((await call(key.token)).statusCode).toBe(200);
    expect((await w.editor.client.delete(`/console/api/apps/${appA}/api-keys/${key.id}`)).statusCode).toBe(
      204,
    );
    expect((await call(key.token)).statusCode).toBe(401);
    expect(await authenticateAppKey(bareCtx(t.database.db), key.token)).toBeNull();
    const [row] = await t.database.db.select().from(appApiKeys).where(eq(appApiKeys.id, key.id));
    expect(row!.revokedAt).not.toBeNull();
    const list = (await w.editor.client.get(`/console/api/apps/${appA}/api-keys`)).json() as {
      data: ApiKeyView[];
    };
    expect(list.data.map((k) => k.id)).not.toContain(key.id);
    expect((await w.editor.client.delete(`/console/api/apps/${appA}/api-keys/${key.id}`)).statusCode).toBe(
      404,
    );
    expect((await auditOf(t.database.db, "app.api_key.revoke")).some((e) => e.targetId === key.id)).toBe(
      true,
    );
  });

  it("enforces the app's maximum number of live keys", async () => {
    const app = (await createPublishableApp(w.editor.client, w.providerId)).id;
    await w.admin.client.patch(`/console/api/apps/${app}`, { maxApiKeys: 2 });
    const first = await createKey(app);
    await createKey(app);
    const third = await w.editor.client.post(`/console/api/apps/${app}/api-keys`, { name: "3" });
    expect(third.statusCode).toBe(409);
    expect(third.json()).toMatchObject({ code: "conflict" });
    await w.editor.client.delete(`/console/api/apps/${app}/api-keys/${first.id}`);
    expect((await w.editor.client.post(`/console/api/apps/${app}/api-keys`, { name: "3" })).statusCode).toBe(
      201,
    );
  });

  it("serving refuses an unpublished app, a switched-off API, and sees publishes and edits at once", async () => {
    const app = (await createPublishableApp(w.editor.client, w.providerId)).id;
    const key = await createKey(app);
    const unpublished = await call(key.token);
    expect(unpublished.statusCode).toBe(400);
    expect(unpublished.json()).toMatchObject({ code: "app_unavailable" });
    await w.editor.client.post(`/console/api/apps/${app}/publish`);
    expect((await call(key.token)).json()).toMatchObject({ prePrompt: "You are helpful." });
    await w.editor.client.patch(`/console/api/apps/${app}`, { enableApi: false });
    expect((await call(key.token)).json()).toMatchObject({ code: "app_unavailable" });
    await w.editor.client.patch(`/console/api/apps/${app}`, {
      enableApi: true,
      config: { model: { providerId: w.providerId, name: "chat-model" }, prePrompt: "v2" },
    });
    expect((await call(key.token)).json()).toMatchObject({ prePrompt: "You are helpful." });
    await w.editor.client.post(`/console/api/apps/${app}/publish`);
    expect((await call(key.token)).json()).toMatchObject({ prePrompt: "v2" });
    await w.editor.client.delete(`/console/api/apps/${app}`);
    expect((await call(key.token)).statusCode).toBe(401);
  });
});
