import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import type { DatabaseHandle } from "@enclave/db";
import { createTestDatabase } from "@enclave/db/testing";
import {
  createGuardedFetch,
  emitAudit,
  flushAuditInbox,
  shipBatch,
  startShipping,
  systemCtx,
  withTransaction,
} from "@enclave/core";
import { HttpSink } from "../src/audit-sinks/http-sink.ts";

/** A local stand-in for a webhook receiver / Elasticsearch `_bulk`, failing on demand. */
async function receiver() {
  const ids = new Set<string>();
  const state = { failNext: 0, auth: [] as (string | undefined)[], paths: [] as string[] };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      state.auth.push(req.headers.authorization);
      state.paths.push(req.url ?? "");
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(503).end();
        return;
      }
      if (req.url?.endsWith("/_bulk")) {
        const lines = raw.trim().split("\n");
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const id = (JSON.parse(lines[i]!) as { create: { _id: string } }).create._id;
          items.push({ create: { _id: id, status: ids.has(id) ? 409 : 201 } });
          ids.add(id);
        }
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ errors: items.some((i) => i.create.status !== 201), items }));
      } else {
        for (const doc of JSON.parse(raw) as { event: { id: string } }[]) ids.add(doc.event.id);
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, ids, state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("shipping to an HTTP(S) SIEM", () => {
  let database: DatabaseHandle;
  const log = pino({ level: "silent" });
  const emit = async (n: number) => {
    const ctx = systemCtx({ db: database.db, log, services: {} }, "test", "req");
    for (let i = 0; i < n; i++)
      await withTransaction(ctx, (tx, c) => emitAudit(tx, c, { action: "member.remove" }));
    await flushAuditInbox(database.db); // shipping sends what is chained
  };
  beforeAll(async () => {
    database = await createTestDatabase();
    await emit(25);
  });
  afterAll(() => database.close());

  it.each([["generic"], ["elasticsearch"]] as const)(
    "%s format: retries through failures, every event delivered once per id",
    async (format) => {
      const r = await receiver();
      const sink = new HttpSink({
        url: `${r.url}/ingest`,
        format,
        authorization: "ApiKey canary-key",
        fetch: createGuardedFetch({ allowlist: ["127.0.0.1"] }),
      });
      r.state.failNext = 2;
      const stop = startShipping(database.db, [sink], log, { idleMs: 20, maxBackoffMs: 50, batchSize: 10 });
      const end = Date.now() + 10_000;
      while (r.ids.size < 25 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      await stop();
      r.server.close();
      expect(r.ids.size).toBe(25);
      expect(r.state.auth.every((a) => a === "ApiKey canary-key")).toBe(true);
      expect(r.state.paths[0]).toBe(format === "elasticsearch" ? "/ingest/_bulk" : "/ingest");
    },
  );

  it("goes through the SSRF guard: a private SIEM address needs an allowlist entry", async () => {
    const r = await receiver();
    const sink = new HttpSink({ url: `${r.url}/ingest`, format: "generic", fetch: createGuardedFetch() });
    await expect(shipBatch(database.db, sink)).rejects.toThrow(/private or reserved address/);
    expect(r.state.paths).toEqual([]);
    r.server.close();
  });
});
