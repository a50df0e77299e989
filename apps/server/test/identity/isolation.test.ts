import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers.ts";
import type { ConsoleClient } from "../console-client.ts";
import { addMember, OWNER, setupOwner } from "../identity-world.ts";

/**
 * Cross-tenant access (SECURITY.md row 1): a user of workspace B aims every route that takes an
 * id at workspace A's objects, and must get 404 — not 403, which would confirm they exist.
 */
describe("workspace isolation", () => {
  let t: TestApp;
  let ids: { workspaceA: string; memberA: string; sessionA: string; sinkA: string };
  let intruder: ConsoleClient;

  beforeAll(async () => {
    t = await createTestApp();
    const { owner, workspaceId } = await setupOwner(t);
    const victim = await addMember(t, owner, "victim@example.com", "editor");
    const sessions = (await owner.get("/console/api/account/sessions")).json() as { data: { id: string }[] };
    // The intruder owns workspace B only: invited to A, creates B, then is removed from A.
    const b = await addMember(t, owner, "intruder@example.com", "member");
    const created = await b.client.post("/console/api/workspaces", { name: "B" });
    const workspaceB = (created.json() as { id: string }).id;
    expect((await b.client.post(`/console/api/workspaces/${workspaceB}/switch`)).statusCode).toBe(204);
    expect((await owner.delete(`/console/api/workspaces/current/members/${b.memberId}`)).statusCode).toBe(
      204,
    );
    intruder = b.client;
    expect((await intruder.login("intruder@example.com", "violet-lantern-harbour-1987")).statusCode).toBe(
      200,
    );
    expect((await intruder.get("/console/api/account")).json()).toMatchObject({
      workspace: { id: workspaceB, role: "owner" },
    });
    const sink = await owner.post("/console/api/workspaces/current/audit-sinks", {
      name: "SOC",
      url: "https://siem.example/ingest",
    });
    ids = {
      workspaceA: workspaceId,
      memberA: victim.memberId,
      sessionA: sessions.data[0]!.id,
      sinkA: (sink.json() as { id: string }).id,
    };
  });
  afterAll(() => t.close());

  // Every route with a path parameter must appear here; the last test enforces it.
  const table: {
    method: "GET" | "POST" | "PATCH" | "DELETE";
    url: string;
    path: () => string;
    body?: () => unknown;
  }[] = [
    {
      method: "POST",
      url: "/console/api/workspaces/:id/switch",
      path: () => `/console/api/workspaces/${ids.workspaceA}/switch`,
    },
    {
      method: "PATCH",
      url: "/console/api/workspaces/current/members/:id",
      path: () => `/console/api/workspaces/current/members/${ids.memberA}`,
      body: () => ({ role: "admin" }),
    },
    {
      method: "DELETE",
      url: "/console/api/workspaces/current/members/:id",
      path: () => `/console/api/workspaces/current/members/${ids.memberA}`,
    },
    {
      method: "POST",
      url: "/console/api/workspaces/current/members/:id/unlock",
      path: () => `/console/api/workspaces/current/members/${ids.memberA}/unlock`,
    },
    {
      method: "DELETE",
      url: "/console/api/account/sessions/:id",
      path: () => `/console/api/account/sessions/${ids.sessionA}`,
    },
    {
      method: "PATCH",
      url: "/console/api/workspaces/current/audit-sinks/:id",
      path: () => `/console/api/workspaces/current/audit-sinks/${ids.sinkA}`,
      body: () => ({ url: "https://attacker.example/" }),
    },
    {
      method: "DELETE",
      url: "/console/api/workspaces/current/audit-sinks/:id",
      path: () => `/console/api/workspaces/current/audit-sinks/${ids.sinkA}`,
    },
    {
      method: "POST",
      url: "/console/api/workspaces/current/transfer-ownership",
      path: () => "/console/api/workspaces/current/transfer-ownership",
      body: () => ({ memberId: ids.memberA, password: "violet-lantern-harbour-1987" }),
    },
  ];

  it.each(table.map((row) => [`${row.method} ${row.url}`, row] as const))(
    "%s with workspace A's id → 404",
    async (_name, row) => {
      const res = await intruder.request(
        row.method,
        row.path(),
        row.body?.() ?? (row.method === "GET" ? undefined : {}),
      );
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: "not_found" });
    },
  );

  it("A's objects are unchanged and A's owner still works", async () => {
    const owner = new (await import("../console-client.ts")).ConsoleClient(t.app);
    await owner.login(OWNER.email, OWNER.password);
    const members = (await owner.get("/console/api/workspaces/current/members")).json() as {
      data: { id: string; role: string }[];
    };
    expect(members.data.find((m) => m.id === ids.memberA)).toMatchObject({ role: "editor" });
    const sinks = (await owner.get("/console/api/workspaces/current/audit-sinks")).json() as {
      data: { id: string; url: string }[];
    };
    expect(sinks.data).toEqual([
      expect.objectContaining({ id: ids.sinkA, url: "https://siem.example/ingest" }),
    ]);
  });

  // Domains with their own cross-workspace table and its own "covers every route" check.
  const OWN_ISOLATION_TABLES = [
    "/console/api/apps/", // apps/apps.test.ts
    "/console/api/datasets/", // knowledge/isolation.test.ts
    "/console/api/workspaces/current/model-providers/", // models/*.test.ts
    "/console/api/workspaces/current/outbound-allowlist/", // models/*.test.ts
    "/v1/", // chat/service-api.test.ts (app keys, end users), knowledge/service-api.test.ts (dataset keys)
    "/app-api/", // chat/webapp.test.ts (visitors of published web apps)
  ];

  it("the table covers every registered route that takes an id", () => {
    const covered = new Set(table.map((r) => `${r.method} ${r.url}`));
    const withIds = t.app.registeredRoutes
      .filter((r) => r.url.includes("/:") && r.method !== "HEAD" && !r.public)
      .filter((r) => !OWN_ISOLATION_TABLES.some((prefix) => r.url.startsWith(prefix)))
      .map((r) => `${r.method} ${r.url}`);
    for (const route of withIds) expect(covered, `add ${route} to the isolation table`).toContain(route);
  });
});
