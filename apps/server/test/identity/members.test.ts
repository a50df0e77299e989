import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import { auditEvents, workspaceMembers } from "@enclave/db";
import { auditRows, createTestApp, type TestApp } from "../helpers.ts";
import { ConsoleClient } from "../console-client.ts";
import { addMember, OWNER, PASSWORD, setupOwner } from "../identity-world.ts";

describe("members and roles", () => {
  let t: TestApp;
  let owner: ConsoleClient;
  let ownerMemberId: string;
  let admin: Awaited<ReturnType<typeof addMember>>;
  let editor: Awaited<ReturnType<typeof addMember>>;
  let member: Awaited<ReturnType<typeof addMember>>;

  beforeAll(async () => {
    t = await createTestApp();
    ({ owner } = await setupOwner(t));
    admin = await addMember(t, owner, "admin@example.com", "admin");
    editor = await addMember(t, owner, "editor@example.com", "editor");
    member = await addMember(t, owner, "member@example.com", "member");
    const list = (await owner.get("/console/api/workspaces/current/members")).json() as {
      data: { id: string; role: string }[];
    };
    ownerMemberId = list.data.find((m) => m.role === "owner")!.id;
  });
  afterAll(() => t.close());

  it("an invitation link works once and never reaches the log", async () => {
    const res = await owner.post("/console/api/workspaces/current/members", {
      email: "once@example.com",
      role: "member",
    });
    expect(res.statusCode).toBe(201);
    const { link, expiresAt } = res.json() as { link: string; expiresAt: string };
    const token = link.split("/invite/")[1]!;
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(71 * 3600_000);
    const a = new ConsoleClient(t.app);
    await a.csrf();
    expect(
      (await a.post(`/console/api/invitations/${token}/accept`, { name: "Once", password: PASSWORD }))
        .statusCode,
    ).toBe(201);
    const b = new ConsoleClient(t.app);
    await b.csrf();
    expect(
      (await b.post(`/console/api/invitations/${token}/accept`, { name: "Twice", password: PASSWORD }))
        .statusCode,
    ).toBe(404);
  });

  it("an editor cannot invite or change roles; a member cannot list members", async () => {
    expect(
      (
        await editor.client.post("/console/api/workspaces/current/members", {
          email: "x@example.com",
          role: "admin",
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await editor.client.patch(`/console/api/workspaces/current/members/${member.memberId}`, {
          role: "admin",
        })
      ).statusCode,
    ).toBe(403);
    expect((await editor.client.get("/console/api/workspaces/current/members")).statusCode).toBe(200);
    const memberList = await member.client.get("/console/api/workspaces/current/members");
    expect(memberList.statusCode).toBe(403);
    expect(memberList.body).not.toContain("admin@example.com");
  });

  it("an admin cannot remove, demote or disable the owner", async () => {
    expect(
      (await admin.client.delete(`/console/api/workspaces/current/members/${ownerMemberId}`)).statusCode,
    ).toBe(403);
    expect(
      (
        await admin.client.patch(`/console/api/workspaces/current/members/${ownerMemberId}`, {
          role: "member",
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await admin.client.patch(`/console/api/workspaces/current/members/${ownerMemberId}`, {
          status: "disabled",
        })
      ).statusCode,
    ).toBe(403);
    expect((await owner.get("/console/api/account")).statusCode).toBe(200);
  });

  it("extra keys in a body (role escalation, workspace hopping) are refused and change nothing", async () => {
    const before = await t.database.db.select().from(workspaceMembers);
    const attempts = [
      member.client.patch("/console/api/workspaces/current", { name: "Mine", isOwner: true }),
      admin.client.patch(`/console/api/workspaces/current/members/${member.memberId}`, {
        role: "editor",
        workspaceId: "00000000-0000-7000-8000-000000000000",
      }),
      admin.client.patch(`/console/api/workspaces/current/members/${member.memberId}`, { role: "owner" }),
      admin.client.post("/console/api/workspaces/current/members", {
        email: "y@example.com",
        role: "editor",
        isOwner: true,
      }),
      owner.post("/console/api/workspaces", { name: "W", ownerId: editor.accountId }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect([400, 403]).toContain(res.statusCode);
    }
    expect((await attempts[1]!).json()).toMatchObject({ code: "validation_failed" });
    expect(await t.database.db.select().from(workspaceMembers)).toEqual(before);
  });

  it("role changes and disabling work for an admin, and disabling ends the member's sessions", async () => {
    const extra = await addMember(t, owner, "temp@example.com", "member");
    const up = await admin.client.patch(`/console/api/workspaces/current/members/${extra.memberId}`, {
      role: "editor",
    });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ role: "editor" });
    expect((await extra.client.get("/console/api/account")).json()).toMatchObject({
      workspace: { role: "editor" },
    });
    const off = await admin.client.patch(`/console/api/workspaces/current/members/${extra.memberId}`, {
      status: "disabled",
    });
    expect(off.statusCode).toBe(200);
    expect((await extra.client.get("/console/api/account")).statusCode).toBe(401);
    const relogin = await new ConsoleClient(t.app).login("temp@example.com", PASSWORD);
    expect(relogin.statusCode).toBe(401);
  });

  it("removing a member makes their next request with the old cookie 401", async () => {
    const gone = await addMember(t, owner, "gone@example.com", "editor");
    expect((await gone.client.get("/console/api/account")).statusCode).toBe(200);
    expect((await owner.delete(`/console/api/workspaces/current/members/${gone.memberId}`)).statusCode).toBe(
      204,
    );
    expect((await gone.client.get("/console/api/account")).statusCode).toBe(401);
  });

  it("ownership transfer needs the owner's password; the old owner becomes admin", async () => {
    const target = await addMember(t, owner, "heir@example.com", "admin");
    const wrong = await owner.post("/console/api/workspaces/current/transfer-ownership", {
      memberId: target.memberId,
      password: "not my password!",
    });
    expect(wrong.statusCode).toBe(401);
    const byAdmin = await admin.client.post("/console/api/workspaces/current/transfer-ownership", {
      memberId: admin.memberId,
      password: PASSWORD,
    });
    expect(byAdmin.statusCode).toBe(403);
    const ok = await owner.post("/console/api/workspaces/current/transfer-ownership", {
      memberId: target.memberId,
      password: OWNER.password,
    });
    expect(ok.statusCode).toBe(204);
    expect((await owner.get("/console/api/account")).json()).toMatchObject({ workspace: { role: "admin" } });
    expect((await target.client.get("/console/api/account")).json()).toMatchObject({
      workspace: { role: "owner" },
    });
    // Hand it back so other tests keep their owner.
    const back = await target.client.post("/console/api/workspaces/current/transfer-ownership", {
      memberId: ownerMemberId,
      password: PASSWORD,
    });
    expect(back.statusCode).toBe(204);
  });

  it("writes audit events for invite, role change, disable, remove and ownership transfer", async () => {
    const actions = [
      "member.invite",
      "member.join",
      "member.update_role",
      "member.disable",
      "member.remove",
      "workspace.transfer_ownership",
    ];
    const rows = await auditRows(t.database.db, inArray(auditEvents.action, actions));
    expect(new Set(rows.map((r) => r.action))).toEqual(new Set(actions));
    for (const row of rows) expect(row.ip).toBe("127.0.0.1");
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });
});

describe("workspaces", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("an account can belong to several workspaces and switch between them", async () => {
    const { owner, workspaceId } = await setupOwner(t);
    const created = await owner.post("/console/api/workspaces", { name: "Second" });
    expect(created.statusCode).toBe(201);
    const second = (created.json() as { id: string }).id;
    const list = (await owner.get("/console/api/workspaces")).json() as {
      data: { id: string; current: boolean; role: string }[];
    };
    expect(list.data.map((w) => w.id).sort()).toEqual([workspaceId, second].sort());
    expect((await owner.post(`/console/api/workspaces/${second}/switch`)).statusCode).toBe(204);
    expect((await owner.get("/console/api/account")).json()).toMatchObject({
      workspace: { id: second, name: "Second", role: "owner" },
    });
    const audit = await auditRows(t.database.db, eq(auditEvents.action, "workspace.switch"));
    expect(audit).toHaveLength(1);
  });
});
