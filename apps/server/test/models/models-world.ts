// A workspace with an owner, an admin, an editor and a member, plus an intruder who owns another
// workspace; helpers to create providers and allowlist entries through the API.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConsoleClient } from "../console-client.ts";
import type { TestApp } from "../helpers.ts";
import { addMember, setupOwner } from "../identity-world.ts";

export const PROVIDERS = "/console/api/workspaces/current/model-providers";
export const ALLOWLIST = "/console/api/workspaces/current/outbound-allowlist";

export interface ModelsWorld {
  workspaceId: string;
  owner: ConsoleClient;
  admin: ConsoleClient;
  editor: ConsoleClient;
  member: ConsoleClient;
  intruder: ConsoleClient;
}

export async function setupModelsWorld(t: TestApp): Promise<ModelsWorld> {
  const { owner, workspaceId } = await setupOwner(t);
  const admin = await addMember(t, owner, "admin@example.com", "admin");
  const editor = await addMember(t, owner, "editor@example.com", "editor");
  const member = await addMember(t, owner, "member@example.com", "member");
  const b = await addMember(t, owner, "intruder@example.com", "member");
  const created = await b.client.post("/console/api/workspaces", { name: "B" });
  const workspaceB = (created.json() as { id: string }).id;
  await b.client.post(`/console/api/workspaces/${workspaceB}/switch`);
  await owner.delete(`/console/api/workspaces/current/members/${b.memberId}`);
  const login = await b.client.login("intruder@example.com", "violet-lantern-harbour-1987");
  if (login.statusCode !== 200) throw new Error(`intruder login failed: ${login.body}`);
  return {
    workspaceId,
    owner,
    admin: admin.client,
    editor: editor.client,
    member: member.client,
    intruder: b.client,
  };
}

export async function createProvider(client: ConsoleClient, body: Record<string, unknown>): Promise<string> {
  const res = await client.post(PROVIDERS, body);
  if (res.statusCode !== 201) throw new Error(`create provider failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

export async function allow(client: ConsoleClient, entry: string): Promise<string> {
  const res = await client.post(ALLOWLIST, { entry });
  if (res.statusCode !== 201) throw new Error(`allowlist failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local server that records requests and answers each with `answer(req)` (status + JSON). */
export async function startCaptureServer(
  answer: (req: CapturedRequest) => { status: number; body: unknown; headers?: Record<string, string> },
) {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const captured = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(captured);
      const { status, body, headers } = answer(captured);
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
