import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents, workspaces } from "@enclave/db";
import { issueSetupToken } from "@enclave/core";
import { auditRows, createTestApp, type TestApp } from "../helpers.ts";
import { ConsoleClient } from "../console-client.ts";
import { OWNER, setupOwner } from "../identity-world.ts";

describe("first-run setup", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("no account exists before setup: login fails with the generic error", async () => {
    const c = new ConsoleClient(t.app);
    const res = await c.login(OWNER.email, OWNER.password);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: "invalid_credentials", message: "invalid email or password" });
  });

  it("needs the one-time token, then creates owner + workspace, then answers 404 forever", async () => {
    const token = await issueSetupToken(t.database.db);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const c = new ConsoleClient(t.app);
    await c.csrf();
    expect((await c.get("/console/api/setup")).json()).toEqual({ setupRequired: true });
    const body = { email: OWNER.email, password: OWNER.password, name: OWNER.name, workspaceName: "Acme" };

    const missing = await c.post("/console/api/setup", body);
    expect(missing.statusCode).toBe(400);
    const wrong = await c.post("/console/api/setup", { ...body, token: "x".repeat(43) });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ code: "forbidden", message: "invalid setup token" });
    const sneaky = await c.post("/console/api/setup", { ...body, token, role: "admin", workspaceId: "x" });
    expect(sneaky.statusCode).toBe(400);
    expect(sneaky.json()).toMatchObject({ code: "validation_failed" });
    const weak = await c.post("/console/api/setup", { ...body, token, password: "password1234" });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().message).toMatch(/too common/);
    expect(await t.database.db.select().from(workspaces)).toHaveLength(0);

    const ok = await c.post("/console/api/setup", { ...body, token });
    expect(ok.statusCode).toBe(201);
    const me = await c.get("/console/api/account");
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: OWNER.email, workspace: { name: "Acme", role: "owner" } });

    const again = await c.post("/console/api/setup", { ...body, token });
    expect(again.statusCode).toBe(404);
    expect((await c.get("/console/api/setup")).statusCode).toBe(404);
    expect(await issueSetupToken(t.database.db)).toBeNull();
    const events = await auditRows(t.database.db, eq(auditEvents.action, "setup.complete"));
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(OWNER.password);
  });
});

describe("cookies and CSRF", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUSTED_PROXIES: "10.0.0.1" } });
    await setupOwner(t);
  });
  afterAll(() => t.close());

  it("over HTTPS (X-Forwarded-Proto from a trusted proxy): __Host- cookie, HttpOnly, Secure, SameSite=Lax, Path=/", async () => {
    const c = new ConsoleClient(t.app, {
      remoteAddress: "10.0.0.1",
      headers: { "x-forwarded-proto": "https" },
    });
    const csrf = await c.get("/console/api/csrf");
    expect(csrf.headers["set-cookie"]).toMatch(
      /^__Host-enclave_csrf=[^;]+; Path=\/; Secure; SameSite=Strict$/,
    );
    const res = await c.post("/console/api/login", { email: OWNER.email, password: OWNER.password });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(
      /^__Host-enclave_session=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it("over plain HTTP on localhost: the documented unprefixed fallback without Secure", async () => {
    const c = new ConsoleClient(t.app);
    const res = await c.login(OWNER.email, OWNER.password);
    expect(String(res.headers["set-cookie"])).toMatch(
      /^enclave_session=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
  });

  it("a spoofed X-Forwarded-Proto from an untrusted peer does not make cookies __Host-", async () => {
    const c = new ConsoleClient(t.app, {
      remoteAddress: "203.0.113.5",
      headers: { "x-forwarded-proto": "https" },
    });
    const res = await c.login(OWNER.email, OWNER.password);
    expect(String(res.headers["set-cookie"])).toMatch(/^enclave_session=/);
  });

  it("a state-changing request without the CSRF header is refused and changes nothing", async () => {
    const c = new ConsoleClient(t.app);
    await c.login(OWNER.email, OWNER.password);
    const before = await t.database.db.select().from(workspaces);
    const res = await c.post("/console/api/workspaces", { name: "Sneaky" }, { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "csrf_failed" });
    const forged = await c.request(
      "POST",
      "/console/api/workspaces",
      { name: "Sneaky" },
      { csrf: false, headers: { "x-csrf-token": "forged.token" } },
    );
    expect(forged.statusCode).toBe(403);
    expect(await t.database.db.select().from(workspaces)).toHaveLength(before.length);
    // Login itself needs the token too (login CSRF).
    const fresh = new ConsoleClient(t.app);
    const noToken = await fresh.post(
      "/console/api/login",
      { email: OWNER.email, password: OWNER.password },
      { csrf: false },
    );
    expect(noToken.statusCode).toBe(403);
  });

  it("a planted but unsigned CSRF cookie matched by the header does not pass", async () => {
    const c = new ConsoleClient(t.app);
    c.cookies.set("enclave_csrf", "attacker-chosen");
    const res = await c.post("/console/api/login", { email: OWNER.email, password: OWNER.password });
    expect(res.statusCode).toBe(403);
  });
});

describe("sessions", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await setupOwner(t);
  });
  afterAll(() => t.close());

  it("logout revokes the session server-side: the old cookie is 401 afterwards", async () => {
    const c = new ConsoleClient(t.app);
    await c.login(OWNER.email, OWNER.password);
    const stolen = c.cookies.get("enclave_session")!;
    expect((await c.post("/console/api/logout")).statusCode).toBe(204);
    const replay = new ConsoleClient(t.app);
    replay.cookies.set("enclave_session", stolen);
    expect((await replay.get("/console/api/account")).statusCode).toBe(401);
  });

  it("lists my sessions, revokes one, and logs out the others", async () => {
    const a = new ConsoleClient(t.app);
    const b = new ConsoleClient(t.app);
    const c = new ConsoleClient(t.app);
    for (const x of [a, b, c]) expect((await x.login(OWNER.email, OWNER.password)).statusCode).toBe(200);
    const list = (await a.get("/console/api/account/sessions")).json() as {
      data: { id: string; current: boolean }[];
    };
    expect(list.data.filter((s) => s.current)).toHaveLength(1);
    const bSession = (await b.get("/console/api/account/sessions"))
      .json()
      .data.find((s: { current: boolean }) => s.current).id;
    expect((await a.delete(`/console/api/account/sessions/${bSession}`)).statusCode).toBe(204);
    expect((await b.get("/console/api/account")).statusCode).toBe(401);
    expect((await a.delete("/console/api/account/sessions")).json()).toMatchObject({
      revoked: expect.any(Number),
    });
    expect((await c.get("/console/api/account")).statusCode).toBe(401);
    expect((await a.get("/console/api/account")).statusCode).toBe(200);
    const events = await auditRows(t.database.db, eq(auditEvents.action, "auth.session.revoke"));
    expect(events.map((e) => e.targetId)).toContain(bSession);
  });

  it("changing the password needs the current one and signs out every other session", async () => {
    const a = new ConsoleClient(t.app);
    const b = new ConsoleClient(t.app);
    await a.login(OWNER.email, OWNER.password);
    await b.login(OWNER.email, OWNER.password);
    const wrong = await a.post("/console/api/account/password", {
      currentPassword: "nope nope nope",
      newPassword: "another fine long phrase 7",
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await a.post("/console/api/account/password", {
      currentPassword: OWNER.password,
      newPassword: "another fine long phrase 7",
    });
    expect(ok.statusCode).toBe(200);
    expect((await b.get("/console/api/account")).statusCode).toBe(401);
    expect((await a.get("/console/api/account")).statusCode).toBe(200);
    const back = await a.post("/console/api/account/password", {
      currentPassword: "another fine long phrase 7",
      newPassword: OWNER.password,
    });
    expect(back.statusCode).toBe(200);
  });
});

describe("lockout", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await setupOwner(t);
  });
  afterAll(() => t.close());

  it("5 failures lock that account for that IP; the 6th attempt is refused even with the right password, generically", async () => {
    const attacker = new ConsoleClient(t.app, { remoteAddress: "198.51.100.20" });
    await attacker.csrf();
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await attacker.post("/console/api/login", {
        email: OWNER.email,
        password: `wrong password ${i}!`,
      });
      expect(res.statusCode).toBe(401);
      bodies.push(JSON.stringify({ ...res.json(), requestId: "" }));
    }
    const locked = await attacker.post("/console/api/login", {
      email: OWNER.email,
      password: OWNER.password,
    });
    expect(locked.statusCode).toBe(401);
    expect(JSON.stringify({ ...locked.json(), requestId: "" })).toBe(bodies[0]);

    const elsewhere = new ConsoleClient(t.app, { remoteAddress: "198.51.100.21" });
    expect((await elsewhere.login(OWNER.email, OWNER.password)).statusCode).toBe(200);

    // A restart (a new app on the same database) does not clear the lock.
    const restarted = await createTestApp({ database: t.database });
    try {
      const again = new ConsoleClient(restarted.app, { remoteAddress: "198.51.100.20" });
      expect((await again.login(OWNER.email, OWNER.password)).statusCode).toBe(401);
    } finally {
      await restarted.app.close();
    }
    const lockEvents = await auditRows(
      t.database.db,
      and(eq(auditEvents.action, "auth.login.locked"), eq(auditEvents.ip, "198.51.100.20")),
    );
    expect(lockEvents).toHaveLength(1);
    const failures = await auditRows(t.database.db, eq(auditEvents.action, "auth.login.failure"));
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(failures)).not.toContain("wrong password");
  });

  it("unknown emails get the same answer and the same time as wrong passwords", async () => {
    const timings = { unknown: [] as number[], known: [] as number[] };
    const bodies = new Set<string>();
    for (let i = 0; i < 50; i++) {
      for (const kind of ["unknown", "known"] as const) {
        // A fresh IP each time: this measures the credential check, not the lock.
        const c = new ConsoleClient(t.app, {
          remoteAddress: kind === "unknown" ? `198.18.${i}.1` : `198.18.${i}.2`,
        });
        await c.csrf();
        const email = kind === "unknown" ? `nobody${i}@example.com` : OWNER.email;
        const start = process.hrtime.bigint();
        const res = await c.post("/console/api/login", { email, password: `not the password ${i}` });
        timings[kind].push(Number(process.hrtime.bigint() - start) / 1e6);
        expect(res.statusCode).toBe(401);
        bodies.add(JSON.stringify({ ...res.json(), requestId: "" }));
      }
    }
    expect(bodies.size).toBe(1);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const mu = median(timings.unknown);
    const mk = median(timings.known);
    // Reported in the issue note; the bound is loose enough for a busy 2-core CI machine.
    console.info(
      `login timing medians over 50 tries: unknown ${mu.toFixed(1)} ms, known+wrong ${mk.toFixed(1)} ms`,
    );
    expect(Math.abs(mu - mk)).toBeLessThan(Math.max(15, 0.25 * Math.max(mu, mk)));
  });
});

describe("parallel guessing", () => {
  it("ten simultaneous wrong passwords from one IP: five are checked, the rest are blocked, the lock holds", async () => {
    const t = await createTestApp();
    try {
      await setupOwner(t);
      const c = new ConsoleClient(t.app, { remoteAddress: "198.51.100.60" });
      await c.csrf();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          c.post("/console/api/login", { email: OWNER.email, password: `parallel guess ${i}!` }),
        ),
      );
      expect(results.every((r) => r.statusCode === 401)).toBe(true);
      const failures = await auditRows(t.database.db, eq(auditEvents.action, "auth.login.failure"));
      const blocked = await auditRows(t.database.db, eq(auditEvents.action, "auth.login.blocked"));
      expect(failures).toHaveLength(5);
      expect(blocked).toHaveLength(5);
      expect(
        (await c.post("/console/api/login", { email: OWNER.email, password: OWNER.password })).statusCode,
      ).toBe(401);
    } finally {
      await t.close();
    }
  });
});
