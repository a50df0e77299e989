import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { modelProviders } from "@enclave/db";
import { auditRows, captureLogs, createTestApp, type TestApp } from "../helpers.ts";
import { ALLOWLIST, createProvider, PROVIDERS, setupModelsWorld, type ModelsWorld } from "./models-world.ts";

const KEY = "sk-proj-CANARYaaaa1111bbbb2222cccc3333dddd";

describe("model providers: CRUD, masks, roles, isolation", () => {
  let t: TestApp;
  let w: ModelsWorld;
  let providerId: string;
  let allowId: string;
  const logs = captureLogs();

  beforeAll(async () => {
    t = await createTestApp({ logger: logs.logger });
    w = await setupModelsWorld(t);
  });
  afterAll(() => t.close());

  it("creates a provider: settings in clear, the key only as a mask, encrypted at rest", async () => {
    const res = await w.admin.post(PROVIDERS, {
      kind: "openai_compatible",
      name: "Local vLLM",
      baseUrl: "http://10.0.0.7:8000/v1",
      apiKey: KEY,
      models: [{ name: "qwen", inputPricePerMTok: 0.5, outputPricePerMTok: 1.5 }],
    });
    expect(res.statusCode).toBe(201);
    const view = res.json() as Record<string, unknown>;
    providerId = view.id as string;
    expect(view).toMatchObject({
      kind: "openai_compatible",
      name: "Local vLLM",
      baseUrl: "http://10.0.0.7:8000/v1",
      credentials: { apiKey: "sk-pro…dd" },
      models: [
        { name: "qwen", type: "llm", inputPricePerMTok: 0.5, outputPricePerMTok: 1.5, currency: "USD" },
      ],
    });
    expect(res.body).not.toContain(KEY);
    const [row] = await t.database.db.select().from(modelProviders).where(eq(modelProviders.id, providerId));
    expect(row!.credentialsEnc).toMatch(/^enc1\./);
    expect(JSON.stringify(row)).not.toContain(KEY);
    expect(JSON.stringify(row)).not.toContain("CANARY");
  });

  it("lists and gets without secrets; editors may read", async () => {
    for (const client of [w.owner, w.admin, w.editor]) {
      const list = await client.get(PROVIDERS);
      expect(list.statusCode).toBe(200);
      expect((list.json() as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([providerId]);
      expect(list.body).not.toContain(KEY);
      const one = await client.get(`${PROVIDERS}/${providerId}`);
      expect(one.statusCode).toBe(200);
      expect(one.body).not.toContain(KEY);
    }
  });

  it("a malformed or credentialed base URL is a 400, not a crash", async () => {
    for (const baseUrl of ["not a url", "http://", "https://user:pw@models.example/v1", "ftp://x/v1"]) {
      const res = await w.admin.post(PROVIDERS, {
        kind: "openai_compatible",
        name: `bad-${baseUrl.length}`,
        baseUrl,
      });
      expect(res.statusCode, baseUrl).toBe(400);
    }
  });

  it("a duplicate name is a 409 conflict", async () => {
    const res = await w.admin.post(PROVIDERS, {
      kind: "openai",
      name: "Local vLLM",
      apiKey: "sk-other-key-000000",
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "conflict" });
  });

  it("PATCH keeps secrets not given and replaces those given", async () => {
    const renamed = await w.owner.patch(`${PROVIDERS}/${providerId}`, {
      name: "vLLM",
      models: [{ name: "qwen" }, { name: "bge", type: "text-embedding" }],
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: "vLLM", credentials: { apiKey: "sk-pro…dd" } });
    const [before] = await t.database.db
      .select()
      .from(modelProviders)
      .where(eq(modelProviders.id, providerId));
    const rekeyed = await w.owner.patch(`${PROVIDERS}/${providerId}`, { apiKey: "sk-new-key-ZZZZ9999" });
    expect(rekeyed.json()).toMatchObject({ credentials: { apiKey: "sk-new…99" } });
    const [after] = await t.database.db
      .select()
      .from(modelProviders)
      .where(eq(modelProviders.id, providerId));
    expect(after!.credentialsEnc).not.toBe(before!.credentialsEnc);
    // Back to the canary key for the remaining tests.
    await w.owner.patch(`${PROVIDERS}/${providerId}`, { apiKey: KEY });
  });

  it("moving the base URL requires re-entering the key (no redirecting a stored key)", async () => {
    const res = await w.admin.patch(`${PROVIDERS}/${providerId}`, { baseUrl: "https://evil.example/v1" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "validation_failed" });
    const ok = await w.admin.patch(`${PROVIDERS}/${providerId}`, {
      baseUrl: "http://10.0.0.8:8000/v1",
      apiKey: KEY,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ baseUrl: "http://10.0.0.8:8000/v1" });
  });

  it("refuses bodies with server-set fields, another kind or a field foreign to the kind: 400, nothing changed", async () => {
    const before = (await w.owner.get(`${PROVIDERS}/${providerId}`)).json();
    for (const body of [
      { workspaceId: w.workspaceId, name: "x" },
      { createdBy: "00000000-0000-4000-8000-000000000000" },
      { kind: "openai" },
      { id: "00000000-0000-4000-8000-000000000000" },
      { region: "us-east-1" }, // a Bedrock field on an OpenAI-compatible provider
      { credentialsEnc: "enc1.x.y" },
    ]) {
      const res = await w.owner.patch(`${PROVIDERS}/${providerId}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await w.owner.get(`${PROVIDERS}/${providerId}`)).json()).toEqual(before);
    const created = await w.owner.post(PROVIDERS, {
      kind: "openai",
      name: "mass",
      apiKey: "sk-xxxxxxxxxxxx",
      workspaceId: w.workspaceId,
    });
    expect(created.statusCode).toBe(400);
    const bad = await w.owner.post(PROVIDERS, { kind: "nope", name: "x", apiKey: "k" });
    expect(bad.statusCode).toBe(400);
    const credsInUrl = await w.owner.post(PROVIDERS, {
      kind: "openai_compatible",
      name: "creds",
      baseUrl: "http://user:pw@10.0.0.1/v1",
    });
    expect(credsInUrl.statusCode).toBe(400);
  });

  it("role matrix: editors read only, members see nothing", async () => {
    const body = { kind: "openai", name: "by-editor", apiKey: "sk-editor-000000" };
    expect((await w.editor.post(PROVIDERS, body)).statusCode).toBe(403);
    expect((await w.editor.patch(`${PROVIDERS}/${providerId}`, { name: "e" })).statusCode).toBe(403);
    expect((await w.editor.delete(`${PROVIDERS}/${providerId}`)).statusCode).toBe(403);
    expect((await w.editor.post(`${PROVIDERS}/${providerId}/test`, {})).statusCode).toBe(403);
    expect((await w.editor.post(ALLOWLIST, { entry: "10.0.0.1" })).statusCode).toBe(403);
    expect((await w.editor.get(ALLOWLIST)).statusCode).toBe(200);
    expect((await w.member.get(PROVIDERS)).statusCode).toBe(403);
    expect((await w.member.get(`${PROVIDERS}/${providerId}`)).statusCode).toBe(403);
    expect((await w.member.get(ALLOWLIST)).statusCode).toBe(403);
    expect((await w.member.post(PROVIDERS, body)).statusCode).toBe(403);
    allowId = ((await w.admin.post(ALLOWLIST, { entry: "10.0.0.0/8", note: "lab" })).json() as { id: string })
      .id;
  });

  // Every model-provider / allowlist route with an id; the last test proves the table is complete.
  const table = [
    { method: "GET", url: `${PROVIDERS}/:id`, path: () => `${PROVIDERS}/${providerId}` },
    {
      method: "PATCH",
      url: `${PROVIDERS}/:id`,
      path: () => `${PROVIDERS}/${providerId}`,
      body: { name: "pwned" },
    },
    { method: "DELETE", url: `${PROVIDERS}/:id`, path: () => `${PROVIDERS}/${providerId}` },
    { method: "POST", url: `${PROVIDERS}/:id/test`, path: () => `${PROVIDERS}/${providerId}/test`, body: {} },
    { method: "DELETE", url: `${ALLOWLIST}/:id`, path: () => `${ALLOWLIST}/${allowId}` },
  ] as const;

  it.each(table.map((r) => [`${r.method} ${r.url}`, r] as const))(
    "%s with workspace A's id → 404 for workspace B's owner",
    async (_n, row) => {
      const res = await w.intruder.request(row.method, row.path(), "body" in row ? row.body : undefined);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: "not_found" });
    },
  );

  it("the intruder's lists are empty and A's objects are unchanged", async () => {
    expect((await w.intruder.get(PROVIDERS)).json()).toEqual({ data: [] });
    expect((await w.intruder.get(ALLOWLIST)).json()).toEqual({ data: [] });
    expect((await w.owner.get(`${PROVIDERS}/${providerId}`)).json()).toMatchObject({ name: "vLLM" });
    expect((await w.owner.get(ALLOWLIST)).json()).toMatchObject({ data: [{ entry: "10.0.0.0/8" }] });
  });

  it("the isolation table covers every model-provider and allowlist route with an id", () => {
    const covered = new Set(table.map((r) => `${r.method} ${r.url}`));
    const withIds = t.app.registeredRoutes
      .filter((r) => r.url.includes("/:") && r.method !== "HEAD")
      .filter((r) => r.url.startsWith(PROVIDERS) || r.url.startsWith(ALLOWLIST))
      .map((r) => `${r.method} ${r.url}`);
    expect(withIds.length).toBeGreaterThan(0);
    for (const route of withIds) expect(covered, `add ${route}`).toContain(route);
  });

  it("deletes, audits every write without secrets", async () => {
    const other = await createProvider(w.owner, {
      kind: "anthropic",
      name: "Claude",
      apiKey: "sk-ant-CANARYzzzz0000",
    });
    expect((await w.owner.delete(`${PROVIDERS}/${other}`)).statusCode).toBe(204);
    expect((await w.owner.get(`${PROVIDERS}/${other}`)).statusCode).toBe(404);
    expect((await w.owner.delete(`${PROVIDERS}/${other}`)).statusCode).toBe(404);
    const rows = await auditRows(t.database.db);
    const actions = rows.map((r) => r.action);
    for (const a of [
      "model_provider.create",
      "model_provider.update",
      "model_provider.delete",
      "outbound_allowlist.add",
    ])
      expect(actions).toContain(a);
    const text = JSON.stringify(rows);
    expect(text).not.toContain("CANARY");
    expect(text).not.toContain("sk-pro…"); // not even masks
    expect(logs.text()).not.toContain("CANARY");
    expect(logs.raw.length).toBeGreaterThan(0);
  });
});
