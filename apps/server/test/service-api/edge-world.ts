// Set-up shared by the service API edge tests (files, app info, limits, auth bursts): an owner,
// a model provider row, published apps with one key each, and the server listening on loopback
// so the real `dify-client` can talk to it over HTTP.
import { randomInt } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { CreatedApiKey } from "@enclave/contracts";
import type { ConsoleClient } from "../console-client.ts";
import type { TestApp } from "../helpers.ts";
import { setupOwner } from "../identity-world.ts";
import { auditOf, createPublishableApp, seedProvider } from "../apps/apps-world.ts";

export interface PublishedApp {
  id: string;
  token: string;
  keyId: string;
}

export interface EdgeWorld {
  owner: ConsoleClient;
  workspaceId: string;
  accountId: string;
  providerId: string;
}

export async function setupEdgeWorld(t: TestApp): Promise<EdgeWorld> {
  const { owner, workspaceId, accountId } = await setupOwner(t);
  const providerId = await seedProvider(t.database.db, workspaceId, ["chat-model"]);
  return { owner, workspaceId, accountId, providerId };
}

const SETTINGS = ["apiRpm", "apiRph", "maxConcurrentRequests", "enableApi", "enableSite"];

/**
 * Creates an app (console API) — settings such as `apiRpm` applied by PATCH, as the console does —
 * publishes it and makes one service API key for it.
 */
export async function publishedApp(w: EdgeWorld, body: Record<string, unknown> = {}): Promise<PublishedApp> {
  const settings = Object.fromEntries(Object.entries(body).filter(([k]) => SETTINGS.includes(k)));
  const create = Object.fromEntries(Object.entries(body).filter(([k]) => !SETTINGS.includes(k)));
  const { id } = await createPublishableApp(w.owner, w.providerId, create);
  if (Object.keys(settings).length > 0) {
    const patched = await w.owner.patch(`/console/api/apps/${id}`, settings);
    if (patched.statusCode !== 200) throw new Error(`settings failed: ${patched.body}`);
  }
  const published = await w.owner.post(`/console/api/apps/${id}/publish`);
  if (published.statusCode !== 200) throw new Error(`publish failed: ${published.body}`);
  const key = await w.owner.post(`/console/api/apps/${id}/api-keys`, { name: "test" });
  if (key.statusCode !== 201) throw new Error(`key failed: ${key.body}`);
  const created = key.json() as CreatedApiKey;
  return { id, token: created.token, keyId: created.id };
}

/** Listens on an ephemeral loopback port; returns the service API base URL (`…/v1`). */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/v1`;
}

/** The Dify error body and status from a rejected dify-client (axios) call. */
export async function difyError(promise: Promise<unknown>): Promise<{
  status: number;
  body: { code: string; message: string; status: number };
  headers: Record<string, string>;
}> {
  try {
    await promise;
  } catch (err) {
    const res = (err as { response?: { status: number; data: unknown; headers: Record<string, string> } })
      .response;
    if (!res) throw err;
    return { status: res.status, body: res.data as never, headers: res.headers };
  }
  throw new Error("the request succeeded");
}

const BURST = "auth.api_key.failure_burst";

/** Redis counters outlive a test run (5-minute windows), so every run attacks from fresh addresses. */
export const randomIp = () => `198.51.${randomInt(0, 255)}.${randomInt(1, 254)}`;

/** The burst events about `field` = `value`, waiting briefly: they are written after the 401 is sent. */
export async function bursts(t: TestApp, field: "ip" | "keyPrefix", value: string, expected: number) {
  const find = async () =>
    (await auditOf(t.database.db, BURST)).filter(
      (e) => (e.details as Record<string, unknown>)[field] === value,
    );
  for (let i = 0; i < 40 && (await find()).length < expected; i++)
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 100));
  return find();
}
