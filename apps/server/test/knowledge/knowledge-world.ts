// A server with the worker's indexing processor on its queue, a workspace with one member of each
// role, an intruder who owns workspace B, and an embedding provider on the fake model server.
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { eq } from "drizzle-orm";
import { Envelope, InProcessQueue, LocalFileStore, type Ctx } from "@enclave/core";
import { documents, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, type TestDatabaseKind } from "@enclave/db/testing";
import { buildApp } from "../../src/http/build-app.ts";
import { openKekRing } from "../../src/secrets.ts";
import { registerProcessors } from "../../src/worker/processors.ts";
import { type ConsoleClient } from "../console-client.ts";
import { testConfig, type TestApp } from "../helpers.ts";
import { addMember, setupOwner } from "../identity-world.ts";
import { startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.ts";

export const DATASETS = "/console/api/datasets";

export interface KnowledgeApp extends TestApp {
  queue: InProcessQueue;
  files: LocalFileStore;
  /** The services the worker's processors get (for calling core verbs directly). */
  workerCtx(): Ctx;
}

/** `startQueue: false` leaves indexing jobs queued, so a test can run indexDocument itself. */
export async function createKnowledgeApp(
  kind?: TestDatabaseKind,
  opts: { startQueue?: boolean } = {},
): Promise<KnowledgeApp> {
  const database: DatabaseHandle = await createTestDatabase(kind);
  const logger = pino({ level: "silent" });
  const queue = new InProcessQueue(logger);
  const config = testConfig();
  const files = new LocalFileStore(mkdtempSync(join(tmpdir(), "enclave-kfiles-")));
  const app = await buildApp(config, { database, queue, logger, files });
  const services = {
    queue,
    envelope: new Envelope(database.db, openKekRing(config)),
    outbound: { allowlist: config.outboundAllowlist },
    files,
  };
  registerProcessors(queue, logger, { db: database.db, services });
  if (opts.startQueue !== false) await queue.start();
  return {
    app,
    database,
    queue,
    files,
    workerCtx: () => ({
      db: database.db,
      workspace: null,
      actor: { type: "system", name: "test-worker" },
      requestId: "test",
      log: logger,
      ip: null,
      userAgent: null,
      services,
    }),
    close: async () => {
      await app.close();
      await queue.close();
      await database.close();
    },
  };
}

export interface Person {
  client: ConsoleClient;
  accountId: string;
}

export interface KnowledgeWorld {
  workspaceId: string;
  owner: Person;
  admin: Person;
  editor: Person;
  editor2: Person;
  member: Person;
  operator: Person;
  intruder: ConsoleClient;
  intruderWorkspaceId: string;
}

export async function setupKnowledgeWorld(t: TestApp): Promise<KnowledgeWorld> {
  const { owner, workspaceId, accountId } = await setupOwner(t);
  const admin = await addMember(t, owner, "admin@example.com", "admin");
  const editor = await addMember(t, owner, "editor@example.com", "editor");
  const editor2 = await addMember(t, owner, "editor2@example.com", "editor");
  const member = await addMember(t, owner, "member@example.com", "member");
  const operator = await addMember(t, owner, "operator@example.com", "dataset_operator");
  const b = await addMember(t, owner, "intruder@example.com", "member");
  const created = await b.client.post("/console/api/workspaces", { name: "B" });
  const intruderWorkspaceId = (created.json() as { id: string }).id;
  await b.client.post(`/console/api/workspaces/${intruderWorkspaceId}/switch`);
  await owner.delete(`/console/api/workspaces/current/members/${b.memberId}`);
  const login = await b.client.login("intruder@example.com", "violet-lantern-harbour-1987");
  if (login.statusCode !== 200) throw new Error(`intruder login failed: ${login.body}`);
  return {
    workspaceId,
    owner: { client: owner, accountId },
    admin,
    editor,
    editor2,
    member,
    operator,
    intruder: b.client,
    intruderWorkspaceId,
  };
}

/** An OpenAI-compatible provider on the fake server with an embedding model, loopback allowlisted. */
export async function addEmbeddingProvider(owner: ConsoleClient, fake: FakeModelServer): Promise<string> {
  await owner.post("/console/api/workspaces/current/outbound-allowlist", { entry: "127.0.0.1" });
  const res = await owner.post("/console/api/workspaces/current/model-providers", {
    kind: "openai_compatible",
    name: `fake-${Math.random().toString(36).slice(2, 8)}`,
    baseUrl: fake.url,
    apiKey: "sk-test-embeddings-0000",
    models: [{ name: "embed-8", type: "text-embedding" }],
  });
  if (res.statusCode !== 201) throw new Error(`provider failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

export { startFakeModelServer };

export async function createDataset(client: ConsoleClient, body: Record<string, unknown>): Promise<string> {
  const res = await client.post(DATASETS, body);
  if (res.statusCode !== 201) throw new Error(`create dataset failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** One chunk per blank-line-separated paragraph (automatic mode would merge short ones). */
export const PARAGRAPHS = {
  mode: "custom",
  rules: { segmentation: { separator: "\\n\\n", max_tokens: 200 } },
};

export async function addTextDocument(
  client: ConsoleClient,
  datasetId: string,
  name: string,
  text: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await client.post(`${DATASETS}/${datasetId}/documents/text`, {
    name,
    text,
    processRule: PARAGRAPHS,
    ...extra,
  });
  if (res.statusCode !== 201) throw new Error(`create document failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** Waits until every given document has left the queue's hands (completed, error or paused). */
export async function settle(t: KnowledgeApp, documentIds: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await t.database.db.select({ id: documents.id, status: documents.status }).from(documents);
    const pending = rows.filter(
      (r) => documentIds.includes(r.id) && !["completed", "error", "paused"].includes(r.status),
    );
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`documents still indexing: ${JSON.stringify(pending)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function documentRow(t: TestApp, id: string) {
  const [row] = await t.database.db.select().from(documents).where(eq(documents.id, id));
  return row!;
}

/** A multipart/form-data body with one file and an optional JSON `data` field. */
export function multipartBody(
  fileName: string,
  bytes: Uint8Array,
  data?: unknown,
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----enclave${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  if (data !== undefined) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="data"\r\n\r\n${JSON.stringify(data)}\r\n`,
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${fileName}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    payload: Buffer.concat(parts),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

export interface DatasetApiResponse {
  status: number;
  /** The parsed JSON body ({} when the answer is not JSON or empty). */
  data: Record<string, unknown>;
  headers: Headers;
  bytes: Buffer;
}
export type DatasetCall = (
  method: string,
  path: string,
  body?: unknown,
  token?: string,
) => Promise<DatasetApiResponse>;

/**
 * Dify's knowledge API over real HTTP: listens on loopback, makes a dataset key for the owner's
 * workspace and one for the intruder's, and returns a caller that sends JSON (or a FormData body)
 * with the owner's key unless another token is given.
 */
export async function openDatasetApi(
  t: TestApp,
  w: KnowledgeWorld,
): Promise<{ base: string; key: string; intruderKey: string; call: DatasetCall }> {
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1`;
  const token = async (client: ConsoleClient, name: string) =>
    ((await client.post(`${DATASETS}/api-keys`, { name })).json() as { token: string }).token;
  const key = await token(w.owner.client, "tests");
  const intruderKey = await token(w.intruder, "intruder");
  const call: DatasetCall = async (method, path, body, bearer = key) => {
    const isForm = body instanceof FormData;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined && !isForm ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = (res.headers.get("content-type") ?? "").includes("json");
    return {
      status: res.status,
      data: json && bytes.length ? (JSON.parse(bytes.toString()) as Record<string, unknown>) : {},
      headers: res.headers,
      bytes,
    };
  };
  return { base, key, intruderKey, call };
}
