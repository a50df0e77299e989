// Framing of published web apps: only `/app/<code>` and only by the origins its owner listed;
// the console and everything else keep `frame-ancestors 'none'`.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppView } from "@enclave/contracts";
import { auditOf } from "../apps/apps-world.ts";
import { setupChatWorld, type ChatWorld } from "../chat/chat-world.ts";
import { addMember } from "../identity-world.ts";

function fakeBuild(): string {
  const dist = join(mkdtempSync(join(tmpdir(), "enclave-embed-")), "dist");
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, "index.html"), "<!doctype html><div id=root></div>");
  return dist;
}

const LISTED = ["https://intranet.example.com", "https://docs.example.org:8443"];

function frameAncestors(headers: Record<string, unknown>): string {
  const csp = String(headers["content-security-policy"]);
  return /frame-ancestors ([^;]*)/.exec(csp)?.[1] ?? "";
}

describe("embedding published web apps", () => {
  let w: ChatWorld;
  let app: AppView;
  beforeAll(async () => {
    w = await setupChatWorld({}, { webDist: fakeBuild() });
    const { appId } = await w.createApp({ settings: { siteEmbedOrigins: LISTED } });
    app = (await w.editor.get(`/console/api/apps/${appId}`)).json() as AppView;
  });
  afterAll(async () => w?.close());

  it("saves normalised, de-duplicated https origins", async () => {
    expect(app.siteEmbedOrigins).toEqual(LISTED);
    const res = await w.owner.patch(`/console/api/apps/${app.id}`, {
      siteEmbedOrigins: ["HTTPS://Intranet.Example.com", "https://intranet.example.com", ...LISTED],
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as AppView).siteEmbedOrigins).toEqual(LISTED);
  });

  it("only the owner or an admin may change the list: an editor gets 403 and nothing changes", async () => {
    const res = await w.editor.patch(`/console/api/apps/${app.id}`, {
      name: "renamed",
      siteEmbedOrigins: ["https://evil.example"],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "forbidden" });
    const after = (await w.editor.get(`/console/api/apps/${app.id}`)).json() as AppView;
    expect(after).toMatchObject({ name: app.name, siteEmbedOrigins: LISTED });
    // The unchanged list, sent back with another edit, is no change: the edit goes through.
    const same = await w.editor.patch(`/console/api/apps/${app.id}`, { siteEmbedOrigins: LISTED });
    expect(same.statusCode).toBe(200);
    const { client: admin, accountId } = await addMember(w.t, w.owner, "admin@example.com", "admin");
    const byAdmin = await admin.patch(`/console/api/apps/${app.id}`, { siteEmbedOrigins: [LISTED[0]!] });
    expect(byAdmin.statusCode).toBe(200);
    const [event] = (await auditOf(w.t.database.db, "app.update")).filter(
      (e) => e.targetId === app.id && e.actorId === accountId,
    );
    expect(event!.details).toMatchObject({
      changed: ["siteEmbedOrigins"],
      siteEmbedOrigins: { from: LISTED, to: [LISTED[0]] },
    });
    await w.owner.patch(`/console/api/apps/${app.id}`, { siteEmbedOrigins: LISTED });
  });

  it("refuses anything but exact https origins with a 400 and changes nothing", async () => {
    const bad = [
      "*",
      "https://*.example.com",
      "http://intranet.example.com",
      "https://intranet.example.com/",
      "https://intranet.example.com/path",
      "https://user@intranet.example.com",
      "javascript:alert(1)",
      "'self'",
      "https://a.example.com; script-src *",
      "https://a.example.com https://b.example.com",
      "https://a.example.com:443",
      "",
    ];
    for (const origin of bad) {
      const res = await w.owner.patch(`/console/api/apps/${app.id}`, {
        name: "renamed",
        siteEmbedOrigins: [origin],
      });
      expect(res.statusCode, origin).toBe(400);
      expect(res.json(), origin).toMatchObject({ code: "validation_failed" });
    }
    const tooMany = Array.from({ length: 21 }, (_, i) => `https://s${i}.example.com`);
    expect(
      (await w.owner.patch(`/console/api/apps/${app.id}`, { siteEmbedOrigins: tooMany })).statusCode,
    ).toBe(400);
    const after = (await w.editor.get(`/console/api/apps/${app.id}`)).json() as AppView;
    expect(after.name).toBe(app.name);
    expect(after.siteEmbedOrigins).toEqual(LISTED);
  });

  it("lets only the listed origins frame /app/<code>", async () => {
    for (const url of [`/app/${app.siteCode}`, `/app/${app.siteCode}/`]) {
      const res = await w.t.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(frameAncestors(res.headers), url).toBe(LISTED.join(" "));
      expect(res.headers["x-frame-options"]).toBeUndefined();
      expect(String(res.headers["content-security-policy"])).not.toContain("https://evil.example");
    }
  });

  it("keeps frame-ancestors 'none' on the console, the API and other apps' pages", async () => {
    const { appId: otherId } = await w.createApp();
    const other = (await w.editor.get(`/console/api/apps/${otherId}`)).json() as AppView;
    const urls = [
      "/",
      "/login",
      `/apps/${app.id}`,
      `/app/${other.siteCode}`,
      `/app/${app.siteCode}/extra`,
      `/app/0123456789abcdef0123`,
      `/app-api/${app.siteCode}/site`,
      "/healthz",
    ];
    for (const url of urls) {
      const res = await w.t.app.inject({ url });
      expect(frameAncestors(res.headers), url).toBe("'none'");
      expect(res.headers["x-frame-options"], url).toBeDefined();
    }
  });

  it("stops allowing framing once the list is cleared or the app is unpublished from the web", async () => {
    await w.owner.patch(`/console/api/apps/${app.id}`, { enableSite: false });
    await new Promise((r) => setTimeout(r, 2100)); // the site cache lives 2 s
    const res = await w.t.app.inject({ url: `/app/${app.siteCode}` });
    expect(frameAncestors(res.headers)).toBe("'none'");
    await w.owner.patch(`/console/api/apps/${app.id}`, { enableSite: true, siteEmbedOrigins: [] });
    await new Promise((r) => setTimeout(r, 2100));
    const cleared = await w.t.app.inject({ url: `/app/${app.siteCode}` });
    expect(frameAncestors(cleared.headers)).toBe("'none'");
  });
});
