import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateText } from "ai";
import { eq, ne } from "drizzle-orm";
import { modelProviders } from "@enclave/db";
import { AppError, classifyProviderError, resolveChatModel } from "@enclave/core";
import { auditRows, captureLogs, createTestApp, type TestApp } from "../helpers.ts";
import { FAKE_MODEL, startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.ts";
import {
  ALLOWLIST,
  allow,
  createProvider,
  PROVIDERS,
  setupModelsWorld,
  startCaptureServer,
  type ModelsWorld,
} from "./models-world.ts";

const KEY = "sk-CANARY-test-connection-7f3a9c2e5b1d";

// Host names the DNS stub answers: an internal address, a rebinding-style name, a metadata alias.
const DNS: Record<string, string[]> = {
  "internal.test": ["10.0.0.1"],
  "models.internal": ["127.0.0.1"],
  "meta.evil.test": ["169.254.169.254"],
};

type TestResult = { ok: boolean; model: string; error?: { code: string; message: string } };

describe("test connection, SSRF guard and the outbound allowlist", () => {
  let t: TestApp;
  let w: ModelsWorld;
  let fake: FakeModelServer;
  const logs = captureLogs();
  const bodies: string[] = [];

  beforeAll(async () => {
    fake = await startFakeModelServer();
    t = await createTestApp({
      logger: logs.logger,
      outbound: { resolve: async (host) => DNS[host] ?? [], timeoutMs: 250 },
      // A probe that uses resolveChatModel the way chat does, with the request's ctx.
      extraRoutes: [
        async (app) => {
          app.post("/test-probe/chat", { config: { permission: "model_provider.read" } }, async (request) => {
            const body = request.body as { providerId: string; name: string; imageUrl?: string };
            const resolved = await resolveChatModel(request.ctx, body);
            const content = [
              { type: "text" as const, text: "hello there" },
              ...(body.imageUrl ? [{ type: "image" as const, image: new URL(body.imageUrl) }] : []),
            ];
            const out = await generateText({
              model: resolved.model,
              messages: [{ role: "user", content }],
              maxRetries: 0,
              experimental_download: resolved.download,
            }).catch((err: unknown) => ({ failure: classifyProviderError(err) }));
            if ("failure" in out) return out;
            return { text: out.text, pricing: resolved.pricing, providerKind: resolved.providerKind };
          });
        },
      ],
    });
    w = await setupModelsWorld(t);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  async function test(id: string, body: Record<string, unknown> = {}): Promise<TestResult> {
    const res = await w.admin.post(`${PROVIDERS}/${id}/test`, body);
    bodies.push(res.body);
    expect(res.statusCode).toBe(200);
    return res.json() as TestResult;
  }

  const fakePort = () => new URL(fake.url).port;

  it("refuses the fake server on loopback until it is allowlisted, then reaches it with the key", async () => {
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "fake",
      baseUrl: fake.url,
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    const blocked = await test(id);
    expect(blocked).toMatchObject({ ok: false, error: { code: "blocked_address" } });
    expect(blocked.error!.message).toMatch(/127\.0\.0\.1/);
    expect(fake.requests).toHaveLength(0);

    const entryId = await allow(w.admin, "127.0.0.1");
    const ok = await test(id);
    expect(ok).toMatchObject({ ok: true, model: FAKE_MODEL });
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: FAKE_MODEL });

    // Removing the entry closes the door again at once (this process drops its cached copy).
    expect((await w.admin.delete(`${ALLOWLIST}/${entryId}`)).statusCode).toBe(204);
    expect(await test(id)).toMatchObject({ ok: false, error: { code: "blocked_address" } });
    await allow(w.admin, "127.0.0.1");
  });

  it.each([
    ["cloud metadata", "http://169.254.169.254/latest/v1"],
    ["IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.2]:PORT/v1"],
    ["decimal IP", "http://2130706434:PORT/v1"], // 127.0.0.2: loopback, not allowlisted
    ["a name resolving to 10.0.0.1", "http://internal.test:PORT/v1"],
    ["a name resolving to metadata", "http://meta.evil.test/v1"],
  ])("refuses %s", async (_name, template) => {
    const before = fake.requests.length;
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: `hostile-${Math.random().toString(36).slice(2, 8)}`,
      baseUrl: template.replace("PORT", fakePort()),
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    const res = await test(id);
    expect(res).toMatchObject({ ok: false, error: { code: "blocked_address" } });
    expect(res.error!.message).toMatch(/blocked address/);
    expect(fake.requests.length).toBe(before);
  });

  it("the same hostile forms pass once their address is allowlisted (the allowlist is the only door)", async () => {
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "decimal-loopback",
      baseUrl: `http://2130706433:${fakePort()}/v1`, // 127.0.0.1, allowlisted above
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    expect(await test(id)).toMatchObject({ ok: true });
    const named = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "named",
      baseUrl: `http://models.internal:${fakePort()}/v1`,
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    expect(await test(named)).toMatchObject({ ok: true });
  });

  it("a workspace cannot allowlist metadata: not by IP, CIDR, well-known name, nor a name of its own", async () => {
    for (const entry of ["169.254.169.254", "169.254.0.0/16", "fe80::/10", "metadata.google.internal"]) {
      const res = await w.admin.post(ALLOWLIST, { entry });
      expect(res.statusCode, entry).toBe(400);
    }
    for (const entry of ["0.0.0.0/0", "::/0", "*", "*.example.com", "0.0.0.0", "10.0.0.0/7", "not a host"]) {
      const res = await w.admin.post(ALLOWLIST, { entry });
      expect(res.statusCode, entry).toBe(400);
      expect(res.json()).toMatchObject({ code: "validation_failed" });
    }
    // A host entry whose name resolves to metadata is still refused at connection time.
    await allow(w.admin, "meta.evil.test");
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "meta-by-name",
      baseUrl: "http://meta.evil.test/v1",
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    expect(await test(id)).toMatchObject({ ok: false, error: { code: "blocked_address" } });
  });

  it("allowlist entries are canonicalised and unique", async () => {
    const res = await w.admin.post(ALLOWLIST, { entry: "0x0A000105" });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ entry: "10.0.1.5" });
    expect((await w.admin.post(ALLOWLIST, { entry: "10.0.1.5" })).statusCode).toBe(409);
    const cidr = await w.admin.post(ALLOWLIST, { entry: "192.168.7.9/16" });
    expect(cidr.json()).toMatchObject({ entry: "192.168.0.0/16" });
    expect(
      (await w.admin.post(ALLOWLIST, { entry: "10.0.0.1", workspaceId: w.workspaceId })).statusCode,
    ).toBe(400);
  });

  it("a redirect from an allowed server to a private or metadata address is refused", async () => {
    for (const location of ["http://169.254.169.254/latest/meta-data/", "http://internal.test/v1/x"]) {
      const redirector = await startCaptureServer(() => ({ status: 307, body: "", headers: { location } }));
      const id = await createProvider(w.admin, {
        kind: "openai_compatible",
        name: `redirect-${Math.random().toString(36).slice(2, 8)}`,
        baseUrl: `${redirector.url}/v1`,
        apiKey: KEY,
        models: [{ name: FAKE_MODEL }],
      });
      const res = await test(id);
      expect(res, location).toMatchObject({ ok: false, error: { code: "blocked_address" } });
      expect(redirector.requests).toHaveLength(1);
      await redirector.close();
    }
  });

  it("upstream failures come back as categories, never the upstream text (which echoes the key)", async () => {
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "flaky",
      baseUrl: fake.url,
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    fake.behave("error500");
    expect(await test(id)).toMatchObject({ ok: false, error: { code: "upstream_error" } });
    fake.behave("malformed");
    expect(await test(id)).toMatchObject({ ok: false, error: { code: "invalid_response" } });
    fake.behave("hang");
    expect(await test(id)).toMatchObject({ ok: false, error: { code: "timeout" } });
    fake.behave("echo");

    const unauthorized = await startCaptureServer((req) => ({
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } },
    }));
    const bad = await createProvider(w.admin, {
      kind: "openai",
      name: "wrong-key",
      baseUrl: `${unauthorized.url}/v1`,
      apiKey: KEY,
      models: [{ name: "gpt-x" }],
    });
    expect(await test(bad)).toMatchObject({ ok: false, error: { code: "unauthorized" } });
    await unauthorized.close();

    const closed = await startCaptureServer(() => ({ status: 200, body: {} }));
    await closed.close();
    const refused = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "refused",
      baseUrl: `${closed.url}/v1`,
      models: [{ name: FAKE_MODEL }],
    });
    expect(await test(refused)).toMatchObject({ ok: false, error: { code: "refused" } });
  });

  it("tests a named model, and needs one when the provider lists none", async () => {
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "no-models",
      baseUrl: fake.url,
      apiKey: KEY,
    });
    const res = await w.admin.post(`${PROVIDERS}/${id}/test`, {});
    expect(res.statusCode).toBe(400);
    expect(await test(id, { model: "anything" })).toMatchObject({ ok: true, model: "anything" });
    expect((await w.admin.post(`${PROVIDERS}/${id}/test`, { model: "x", extra: 1 })).statusCode).toBe(400);
  });

  it("resolveChatModel: chat through the guarded fetch, prices from the model entry, unknown models refused", async () => {
    const id = await createProvider(w.admin, {
      kind: "openai",
      name: "priced",
      baseUrl: fake.url,
      apiKey: KEY,
      models: [{ name: FAKE_MODEL, inputPricePerMTok: 2, outputPricePerMTok: 8 }],
    });
    const res = await w.editor.post("/test-probe/chat", { providerId: id, name: FAKE_MODEL });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      text: "Echo: hello there",
      pricing: { inputPerMTok: 2, outputPerMTok: 8, currency: "USD" },
      providerKind: "openai",
    });
    // The openai kind speaks Chat Completions (not the Responses API).
    expect(fake.requests.at(-1)!.path).toBe("/v1/chat/completions");
    // An image given by URL is fetched, if at all, through the guarded client too.
    const compatible = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "compatible-images",
      baseUrl: fake.url,
      apiKey: KEY,
    });
    const before = fake.requests.length;
    const image = await w.editor.post("/test-probe/chat", {
      providerId: compatible,
      name: FAKE_MODEL,
      imageUrl: "http://internal.test/x.png", // the stub resolves it to 10.0.0.1
    });
    expect(image.json()).toMatchObject({ failure: { code: "blocked_address" } });
    expect(fake.requests.length).toBe(before);
    const unknown = await w.editor.post("/test-probe/chat", { providerId: id, name: "other" });
    expect(unknown.json()).toMatchObject({ code: "provider_not_initialize" });
    const foreign = await w.intruder.post("/test-probe/chat", { providerId: id, name: FAKE_MODEL });
    expect(foreign.json()).toMatchObject({ code: "provider_not_initialize" });
    expect(new AppError("provider_not_initialize", "x").status).toBe(400);
  });

  it("credentials that no longer decrypt: chat says provider_not_initialize, PATCH must re-enter them", async () => {
    const id = await createProvider(w.admin, {
      kind: "openai_compatible",
      name: "lost-key",
      baseUrl: fake.url,
      apiKey: KEY,
      models: [{ name: FAKE_MODEL }],
    });
    // A ciphertext from another provider: bound to that id, so it does not open here.
    const [other] = await t.database.db
      .select()
      .from(modelProviders)
      .where(ne(modelProviders.id, id))
      .limit(1);
    await t.database.db
      .update(modelProviders)
      .set({ credentialsEnc: other!.credentialsEnc })
      .where(eq(modelProviders.id, id));
    const renamed = await w.admin.patch(`${PROVIDERS}/${id}`, { name: "lost-key-2" });
    bodies.push(renamed.body);
    expect(renamed.statusCode).toBe(400);
    const chat = await w.editor.post("/test-probe/chat", { providerId: id, name: FAKE_MODEL });
    expect(chat.json()).toMatchObject({ code: "provider_not_initialize" });
    const rekey = await w.admin.patch(`${PROVIDERS}/${id}`, { apiKey: KEY });
    expect(rekey.statusCode).toBe(200);
    expect(await test(id)).toMatchObject({ ok: true });
  });

  it("the key never appears in a response, a log line or the audit trail", async () => {
    const audit = JSON.stringify(await auditRows(t.database.db));
    expect(audit).toContain("model_provider.test");
    expect(audit).not.toContain("CANARY");
    expect(bodies.join("\n")).not.toContain("CANARY");
    expect(logs.text()).not.toContain("CANARY");
    // The fake server really did see the key (so the canary was in play).
    expect(fake.requests.some((r) => String(r.headers.authorization).includes("CANARY"))).toBe(true);
  });
});
