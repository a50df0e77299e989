// A served Enclave with one workspace, an OpenAI-compatible provider pointing at the local fake
// model server (allowlisted), and helpers to create, publish and key apps — for tests that drive
// the service API over real HTTP with real SDK clients.
import type { AddressInfo } from "node:net";
import type { ConsoleClient } from "../console-client.ts";
import { createTestApp, type TestApp } from "../helpers.ts";
import { addMember, setupOwner } from "../identity-world.ts";
import { FAKE_MODEL, startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.ts";
import { allow, createProvider } from "../models/models-world.ts";

export const PROVIDER_KEY = "sk-chat-world-canary-7f3a9c1e5d";

export interface ChatWorld {
  t: TestApp;
  fake: FakeModelServer;
  owner: ConsoleClient;
  editor: ConsoleClient;
  workspaceId: string;
  providerId: string;
  /** `http://127.0.0.1:<port>/v1`. */
  apiBase: string;
  createApp(opts?: {
    mode?: "chat" | "completion" | "agent-chat";
    config?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  }): Promise<{ appId: string; token: string }>;
  close(): Promise<void>;
}

export async function setupChatWorld(
  env: Record<string, string> = {},
  deps: Parameters<typeof createTestApp>[0] = {},
): Promise<ChatWorld> {
  const fake = await startFakeModelServer();
  const t = await createTestApp({ ...deps, env: { ...env } });
  const { owner, workspaceId } = await setupOwner(t);
  const { client: editor } = await addMember(t, owner, "editor@example.com", "editor");
  await allow(owner, "127.0.0.1");
  const providerId = await createProvider(owner, {
    kind: "openai_compatible",
    name: "fake",
    baseUrl: fake.url,
    apiKey: PROVIDER_KEY,
    models: [{ name: FAKE_MODEL, inputPricePerMTok: 2, outputPricePerMTok: 8 }],
  });
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  const port = (t.app.server.address() as AddressInfo).port;

  async function createApp(opts: Parameters<ChatWorld["createApp"]>[0] = {}) {
    const res = await editor.post("/console/api/apps", {
      name: `app-${Math.random().toString(36).slice(2, 8)}`,
      mode: opts.mode ?? "chat",
      config: { model: { providerId, name: FAKE_MODEL }, prePrompt: "You are helpful.", ...opts.config },
    });
    if (res.statusCode !== 201) throw new Error(`create app failed: ${res.statusCode} ${res.body}`);
    const appId = (res.json() as { id: string }).id;
    if (opts.settings) {
      const patched = await owner.patch(`/console/api/apps/${appId}`, opts.settings);
      if (patched.statusCode !== 200)
        throw new Error(`patch app failed: ${patched.statusCode} ${patched.body}`);
    }
    const published = await editor.post(`/console/api/apps/${appId}/publish`);
    if (published.statusCode !== 200)
      throw new Error(`publish failed: ${published.statusCode} ${published.body}`);
    const key = await editor.post(`/console/api/apps/${appId}/api-keys`, { name: "test" });
    if (key.statusCode !== 201) throw new Error(`key failed: ${key.statusCode} ${key.body}`);
    return { appId, token: (key.json() as { token: string }).token };
  }

  return {
    t,
    fake,
    owner,
    editor,
    workspaceId,
    providerId,
    apiBase: `http://127.0.0.1:${port}/v1`,
    createApp,
    close: async () => {
      await t.close();
      await fake.close();
    },
  };
}

/** Reads a Node stream of SSE bytes (as axios hands it over) into parsed `data:` events. */
export async function readSse(
  stream: AsyncIterable<Buffer | string>,
): Promise<{ events: Record<string, unknown>[]; pings: number }> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  const events: Record<string, unknown>[] = [];
  let pings = 0;
  for (const frame of text.split("\n\n")) {
    if (frame.trim() === "event: ping") pings++;
    const data = frame.split("\n").find((l) => l.startsWith("data: "));
    if (data) events.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
  }
  return { events, pings };
}

/** Parses a complete SSE body (as `app.inject` returns it) into its `data:` events. */
export function parseSse(body: string): Record<string, unknown>[] {
  return body
    .split("\n\n")
    .map((f) => f.split("\n").find((l) => l.startsWith("data: ")))
    .filter((l): l is string => Boolean(l))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

/** The HTTP status and body of an SDK call (axios) that is expected to fail. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; data: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    const res = (err as { response?: { status: number; data: Record<string, unknown> } }).response;
    if (res) return { status: res.status, data: res.data };
    throw err;
  }
  throw new Error("expected the request to fail");
}
