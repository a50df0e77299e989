// Secret-store references typed into the console (issue 6 item 7): a provider key or sink header
// may be `vault:…` under the prefixes the operator allows for that workspace — resolved at use,
// rotated without restart, shown as the reference and never as the value — and nothing else: a
// reference to the deployment's own secrets, another tenant's path, a traversal or a local file is
// refused with a code, and nothing is written.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { auditSinks, modelProviders } from "@enclave/db";
import {
  createGuardedFetch,
  Envelope,
  LocalKek,
  SecretResolver,
  VaultClient,
  type KekRing,
} from "@enclave/core";
import { VaultStub } from "@enclave/core/testing/vault-stub";
import { startWorkspaceSinks } from "../src/audit-sinks/workspace-sinks.ts";
import { FAKE_MODEL, startFakeModelServer, type FakeModelServer } from "./fixtures/fake-model-server.ts";
import { createTestApp, type TestApp } from "./helpers.ts";
import { addMember, setupOwner } from "./identity-world.ts";
import { auditOf } from "./apps/apps-world.ts";
import type { ConsoleClient } from "./console-client.ts";

const PROVIDERS = "/console/api/workspaces/current/model-providers";
const SINKS = "/console/api/workspaces/current/audit-sinks";

async function until(check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("secret-store references in the console", () => {
  const ring: KekRing = { current: new LocalKek(randomBytes(32)), previous: [] };
  let vault: VaultStub;
  let fake: FakeModelServer;
  let t: TestApp;
  let owner: ConsoleClient;
  let workspaceId: string;
  let ref: (path: string, key?: string) => string;
  let vaultToken: string;

  beforeAll(async () => {
    vault = new VaultStub();
    await vault.start();
    fake = await startFakeModelServer();
    vaultToken = vault.issueToken(["secret/data/tenants/", "secret/data/enclave/"]);
    vault.put("secret/enclave/app", { secret_key: "deployment-secret-never-sent" });
    t = await createTestApp({
      kekRing: ring,
      env: {
        VAULT_ADDR: vault.url,
        VAULT_TOKEN: vaultToken,
        SECRET_REFERENCE_PREFIXES: "vault:secret/data/tenants/{workspaceId}/",
        SECRET_CACHE_SECONDS: "1",
      },
    });
    ({ owner, workspaceId } = await setupOwner(t));
    ref = (path, key = "api_key") => `vault:secret/data/tenants/${workspaceId}/${path}#${key}`;
    vault.put(`secret/tenants/${workspaceId}/openai`, { api_key: "sk-from-vault-version-1" });
    await owner.post("/console/api/workspaces/current/outbound-allowlist", { entry: "127.0.0.1" });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await vault?.stop();
  });

  const addProvider = (apiKey: string, name = `p-${randomBytes(3).toString("hex")}`) =>
    owner.post(PROVIDERS, {
      kind: "openai_compatible",
      name,
      baseUrl: fake.url,
      apiKey,
      models: [{ name: FAKE_MODEL }],
    });
  const sentKeys = () => fake.requests.map((r) => String(r.headers.authorization ?? ""));

  it("a provider key from the workspace's own Vault path is used, shown as the reference, and rotates without restart", async () => {
    const created = await addProvider(ref("openai"));
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ credentials: { apiKey: ref("openai") } });
    expect(created.body).not.toContain("sk-from-vault");
    const id = (created.json() as { id: string }).id;

    const tested = await owner.post(`${PROVIDERS}/${id}/test`, {});
    expect(tested.statusCode).toBe(200);
    expect(sentKeys()).toContain("Bearer sk-from-vault-version-1");
    expect(tested.body).not.toContain("sk-from-vault");

    // Rotate in Vault: after the cache TTL (1 s here) the new version is sent, with no restart.
    vault.put(`secret/tenants/${workspaceId}/openai`, { api_key: "sk-from-vault-version-2" });
    await until(async () => {
      await owner.post(`${PROVIDERS}/${id}/test`, {});
      return sentKeys().includes("Bearer sk-from-vault-version-2");
    });
  });

  it("the console status names the workspace's own prefix, not the deployment's Vault address or token; editors are refused", async () => {
    const res = await owner.get("/console/api/workspaces/current/secret-status");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kekProvider: "local",
      stores: { vault: true, aws: false },
      referencePrefixes: [`vault:secret/data/tenants/${workspaceId}/`],
      cacheSeconds: 1,
      encryption: { ok: true },
    });
    expect(res.body).not.toContain(new URL(vault.url).port);
    expect(res.body).not.toContain(vaultToken);
    const { client: editor } = await addMember(t, owner, "ed@example.com", "editor");
    expect((await editor.get("/console/api/workspaces/current/secret-status")).statusCode).toBe(403);
  });

  it("refuses references outside the workspace's prefix, traversals and local files, writing nothing", async () => {
    const before = (await t.database.db.select().from(modelProviders)).length;
    const hostile = [
      "vault:secret/data/enclave/app#secret_key", // the deployment's own secret
      "vault:secret/data/tenants/00000000-0000-4000-8000-000000000000/openai#api_key", // another tenant
      `vault:secret/data/tenants/${workspaceId}/../../enclave/app#secret_key`,
      `vault:secret/data/tenants/${workspaceId}/%2e%2e/%2e%2e/enclave/app#secret_key`,
      `vault:secret/data/tenants/${workspaceId}//openai#api_key`,
      "file:/etc/passwd",
      "aws-sm:prod/enclave#secret_key",
    ];
    for (const apiKey of hostile) {
      const res = await addProvider(apiKey);
      expect(res.statusCode, apiKey).toBe(400);
      expect(res.json(), apiKey).toMatchObject({ code: "secret_reference_not_allowed" });
    }
    expect((await t.database.db.select().from(modelProviders)).length).toBe(before);
    expect(sentKeys().some((k) => k.includes("deployment-secret"))).toBe(false);
  });

  it("a PATCH cannot swap in a foreign reference either", async () => {
    const created = await addProvider("sk-literal-key-0000000000");
    const id = (created.json() as { id: string }).id;
    const res = await owner.patch(`${PROVIDERS}/${id}`, {
      apiKey: "vault:secret/data/enclave/app#secret_key",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "secret_reference_not_allowed" });
    const after = (await owner.get(`${PROVIDERS}/${id}`)).json() as { credentials: { apiKey: string } };
    expect(after.credentials).toEqual((created.json() as { credentials: unknown }).credentials);
    expect(after.credentials.apiKey).not.toContain("vault:");
  });

  it("a sink header may be a reference: shown as such, resolved at send time", async () => {
    vault.put(`secret/tenants/${workspaceId}/siem`, { header: "Bearer sink-from-vault-1" });
    const received: IncomingHttpHeaders[] = [];
    const receiver = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received.push(req.headers);
        res.writeHead(200).end("{}");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest`;
    expect(
      (
        await owner.post(SINKS, {
          name: "bad",
          url,
          authorization: "vault:secret/data/enclave/app#secret_key",
        })
      ).statusCode,
    ).toBe(400);
    const created = await owner.post(SINKS, { name: "SOC", url, authorization: ref("siem", "header") });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ authorization: ref("siem", "header") });
    expect((await t.database.db.select().from(auditSinks)).length).toBe(1);

    const vaultClient = new VaultClient({
      address: vault.url,
      auth: { token: vaultToken },
      fetch: createGuardedFetch({ allowlist: ["127.0.0.1"] }),
    });
    const stop = startWorkspaceSinks({
      db: t.database.db,
      envelope: new Envelope(t.database.db, ring),
      references: { resolver: new SecretResolver({ vault: vaultClient }), consolePrefixes: [] },
      fetchFor: async () => createGuardedFetch({ allowlist: ["127.0.0.1"] }),
      log: pino({ level: "silent" }),
      reloadMs: 100,
      idleMs: 30,
    });
    try {
      await until(() => received.length > 0);
      expect(received.every((h) => h.authorization === "Bearer sink-from-vault-1")).toBe(true);
    } finally {
      await stop();
      receiver.close();
    }
  });

  it("a Vault outage keeps the last good value within the grace period and writes one alert event", async () => {
    const created = await addProvider(ref("openai"));
    const id = (created.json() as { id: string }).id;
    expect((await owner.post(`${PROVIDERS}/${id}/test`, {})).statusCode).toBe(200);
    await vault.stop();
    // Past the provider cache (5 s) and the secret TTL (1 s): the resolver has to ask Vault again.
    await new Promise((r) => setTimeout(r, 5_500));
    expect((await owner.post(`${PROVIDERS}/${id}/test`, {})).statusCode).toBe(200);
    await until(async () => (await auditOf(t.database.db, "secret.store.unreachable")).length > 0);
    const alerts = await auditOf(t.database.db, "secret.store.unreachable");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.details).toMatchObject({ reference: ref("openai").split("#")[0] });
    expect(JSON.stringify(alerts)).not.toContain("sk-from-vault");
  });
});

describe("without SECRET_REFERENCE_PREFIXES", () => {
  let t: TestApp;
  afterAll(() => t?.close());
  it("the console accepts literal secrets only", async () => {
    t = await createTestApp();
    const { owner } = await setupOwner(t);
    const res = await owner.post(PROVIDERS, {
      kind: "openai",
      name: "o",
      apiKey: "vault:secret/data/anything#k",
      models: [{ name: "gpt-4o" }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "secret_reference_not_allowed" });
  });
});
