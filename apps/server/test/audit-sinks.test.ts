// Workspace audit sinks configured in the console: secrets write-only and encrypted, each sink gets
// its own workspace's events only, and a rotated header or a disabled sink applies without restart.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { auditSinks } from "@enclave/db";
import { createGuardedFetch, Envelope, flushAuditInbox, LocalKek, type KekRing } from "@enclave/core";
import { startWorkspaceSinks } from "../src/audit-sinks/workspace-sinks.ts";
import { createTestApp, type TestApp } from "./helpers.ts";
import { addMember, setupOwner } from "./identity-world.ts";
import type { ConsoleClient } from "./console-client.ts";

interface Received {
  headers: IncomingHttpHeaders;
  docs: { event: { action: string; id: string }; enclave?: { workspace_id?: string | null } }[];
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("workspace audit sinks", () => {
  const ring: KekRing = { current: new LocalKek(randomBytes(32)), previous: [] };
  const received: Received[] = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, docs: JSON.parse(body) as Received["docs"] });
      res.writeHead(200).end("{}");
    });
  });
  let t: TestApp;
  let owner: ConsoleClient;
  let workspaceA: string;
  let url: string;
  const base = "/console/api/workspaces/current/audit-sinks";

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest`;
    t = await createTestApp({ kekRing: ring });
    ({ owner, workspaceId: workspaceA } = await setupOwner(t));
  });
  afterAll(async () => {
    await t.close();
    receiver.close();
  });

  it("stores the header encrypted and shows only a mask; editors and other workspaces are refused", async () => {
    const created = await owner.post(base, { name: "SOC", url, authorization: "Bearer canary-sink-0001" });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain("canary-sink-0001");
    expect(created.json()).toMatchObject({ name: "SOC", url, authorization: "Bearer…01", shippedSeq: -1 });
    const listed = await owner.get(base);
    expect(listed.body).not.toContain("canary-sink-0001");
    const [row] = await t.database.db.select().from(auditSinks);
    expect(row!.authorizationEnc).toMatch(/^enc1\./);
    expect(JSON.stringify(row)).not.toContain("canary-sink-0001");

    const extra = await owner.post(base, { name: "x", url, workspaceId: workspaceA });
    expect(extra.statusCode).toBe(400);
    expect((await owner.post(base, { name: "x", url: "http://u:p@127.0.0.1/" })).statusCode).toBe(400);
    // Not a URL at all: a 400 with a code (the URL refinement once threw here: a 500).
    const junk = await owner.post(base, { name: "x", url: "not a url" });
    expect(junk.statusCode).toBe(400);
    expect(junk.json()).toMatchObject({ code: "validation_failed" });
    const editor = await addMember(t, owner, "ed@example.com", "editor");
    expect((await editor.client.get(base)).statusCode).toBe(403);
    expect((await editor.client.post(base, { name: "mine", url })).statusCode).toBe(403);

    // The editor's own workspace cannot see or touch A's sink.
    const ws = await editor.client.post("/console/api/workspaces", { name: "B" });
    await editor.client.post(`/console/api/workspaces/${(ws.json() as { id: string }).id}/switch`);
    const id = (created.json() as { id: string }).id;
    expect((await editor.client.patch(`${base}/${id}`, { enabled: false })).statusCode).toBe(404);
    expect((await editor.client.delete(`${base}/${id}`)).statusCode).toBe(404);
    expect((await editor.client.get(base)).json()).toEqual({ data: [] });
  });

  it("ships only its workspace's events; a rotated header and a disabled sink apply without restart", async () => {
    const envelope = new Envelope(t.database.db, ring);
    // Chained before shipping starts, so the first batch holds everything emitted so far.
    await flushAuditInbox(t.database.db);
    const stop = startWorkspaceSinks({
      db: t.database.db,
      envelope,
      fetchFor: async () => createGuardedFetch({ allowlist: ["127.0.0.1"] }),
      log: pino({ level: "silent" }),
      reloadMs: 100,
      idleMs: 30,
    });
    try {
      await until(() => received.some((r) => r.docs.some((d) => d.event.action === "audit.sink.create")));
      const docs = () => received.flatMap((r) => r.docs);
      expect(docs().every((d) => d.enclave?.workspace_id === workspaceA)).toBe(true);
      expect(received.every((r) => r.headers.authorization === "Bearer canary-sink-0001")).toBe(true);
      // Workspace B's creation and its events stay out of A's sink.
      expect(docs().some((d) => d.event.action === "workspace.create")).toBe(false);

      const [sink] = (await owner.get(base)).json().data as { id: string }[];
      await owner.patch(`${base}/${sink!.id}`, { authorization: "Bearer canary-sink-0002" });
      await until(() => received.some((r) => r.headers.authorization === "Bearer canary-sink-0002"));

      await owner.patch(`${base}/${sink!.id}`, { enabled: false });
      await new Promise((r) => setTimeout(r, 300));
      const count = received.length;
      await owner.patch("/console/api/workspaces/current", { name: "Acme renamed" });
      await flushAuditInbox(t.database.db); // chained: an enabled sink would ship it within the wait
      await new Promise((r) => setTimeout(r, 300));
      expect(received.length).toBe(count);
      const ids = docs().map((d) => d.event.id);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await stop();
    }
  });
});
