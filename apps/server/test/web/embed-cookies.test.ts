// Web app cookies when a site is embedded on another site: SameSite=None; Secure; Partitioned only
// for sites that opted into embedding and only over HTTPS; everything else keeps Strict (or the
// console's Lax). The per-app CSRF token is what stops cross-site writes, so it is attacked here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LightMyRequestResponse } from "fastify";
import type { AppView } from "@enclave/contracts";
import { ConsoleClient } from "../console-client.ts";
import { OWNER } from "../identity-world.ts";
import { setupChatWorld, type ChatWorld } from "../chat/chat-world.ts";

const HOST = "https://intranet.example.com";
// 127.0.0.1 is the trusted proxy: its X-Forwarded-Proto: https makes request.protocol https.
const HTTPS = { "x-forwarded-proto": "https" };

interface SetCookie {
  name: string;
  value: string;
  /** Attribute names (lower case) with values for those that carry one, expiry left out. */
  attrs: string[];
}

function setCookies(res: LightMyRequestResponse): SetCookie[] {
  const raw = res.headers["set-cookie"];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((line) => {
    const [pair = "", ...rest] = line.split(/;\s*/);
    const eq = pair.indexOf("=");
    const attrs = rest
      .map((a) => a.toLowerCase())
      .filter((a) => !a.startsWith("expires=") && !a.startsWith("max-age="))
      .sort();
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
  });
}

function only(res: LightMyRequestResponse): SetCookie {
  const all = setCookies(res);
  expect(all).toHaveLength(1);
  return all[0]!;
}

const EMBEDDABLE_HTTPS = ["httponly", "partitioned", "path=/", "samesite=none", "secure"];
const STRICT_HTTPS = ["httponly", "path=/", "samesite=strict", "secure"];
const STRICT_HTTP = ["httponly", "path=/", "samesite=strict"];

/** A visitor of one site, over https (via the trusted proxy) unless told otherwise. */
function visitor(w: ChatWorld, https = true): ConsoleClient {
  return new ConsoleClient(w.t.app, https ? { headers: { ...HTTPS } } : {});
}

describe("web app cookies for embedding", () => {
  let w: ChatWorld;
  let embedded: AppView;
  let plain: AppView;
  beforeAll(async () => {
    w = await setupChatWorld({ TRUSTED_PROXIES: "127.0.0.1" });
    const a = await w.createApp({ settings: { siteEmbedOrigins: [HOST] } });
    embedded = (await w.editor.get(`/console/api/apps/${a.appId}`)).json() as AppView;
    const b = await w.createApp();
    plain = (await w.editor.get(`/console/api/apps/${b.appId}`)).json() as AppView;
  });
  afterAll(async () => w?.close());

  it("an embeddable site over https gets SameSite=None; Secure; Partitioned __Host- cookies", async () => {
    const v = visitor(w);
    const csrfRes = await v.get(`/app-api/${embedded.siteCode}/csrf`);
    expect(csrfRes.statusCode).toBe(200);
    const csrf = only(csrfRes);
    expect(csrf.name).toBe(`__Host-enclave_app_csrf_${embedded.siteCode}`);
    expect(csrf.attrs).toEqual(EMBEDDABLE_HTTPS);
    expect(csrf.value).toBe((csrfRes.json() as { csrfToken: string }).csrfToken);

    const visitRes = await v.post(`/app-api/${embedded.siteCode}/visit`);
    expect(visitRes.statusCode).toBe(200);
    const visit = only(visitRes);
    expect(visit.name).toBe(`__Host-enclave_visit_${embedded.siteCode}`);
    expect(visit.attrs).toEqual(EMBEDDABLE_HTTPS);
    // __Host- rules: Secure, Path=/ and no Domain, on every cookie we set.
    for (const c of [csrf, visit]) expect(c.attrs.some((a) => a.startsWith("domain"))).toBe(false);

    const chat = await v.post(`/app-api/${embedded.siteCode}/chat-messages`, { query: "hi", inputs: {} });
    expect(chat.statusCode).toBe(200);
  });

  it("a site without embed origins keeps Strict over https, and every site keeps Strict over http", async () => {
    const https = visitor(w);
    const csrf = only(await https.get(`/app-api/${plain.siteCode}/csrf`));
    expect(csrf.name).toBe(`__Host-enclave_app_csrf_${plain.siteCode}`);
    expect(csrf.attrs).toEqual(STRICT_HTTPS);
    const visit = only(await https.post(`/app-api/${plain.siteCode}/visit`));
    expect(visit.name).toBe(`__Host-enclave_visit_${plain.siteCode}`);
    expect(visit.attrs).toEqual(STRICT_HTTPS);

    // Plain HTTP: SameSite=None would need Secure, so embedding cannot work; no __Host- either.
    const http = visitor(w, false);
    const httpCsrf = only(await http.get(`/app-api/${embedded.siteCode}/csrf`));
    expect(httpCsrf.name).toBe(`enclave_app_csrf_${embedded.siteCode}`);
    expect(httpCsrf.attrs).toEqual(STRICT_HTTP);
    const httpVisit = only(await http.post(`/app-api/${embedded.siteCode}/visit`));
    expect(httpVisit.name).toBe(`enclave_visit_${embedded.siteCode}`);
    expect(httpVisit.attrs).toEqual(STRICT_HTTP);
  });

  it("a spoofed X-Forwarded-Proto from an untrusted peer does not get cross-site cookies", async () => {
    const spoofer = new ConsoleClient(w.t.app, { remoteAddress: "203.0.113.9", headers: { ...HTTPS } });
    const csrf = only(await spoofer.get(`/app-api/${embedded.siteCode}/csrf`));
    expect(csrf.name).toBe(`enclave_app_csrf_${embedded.siteCode}`);
    expect(csrf.attrs).toEqual(STRICT_HTTP);
  });

  it("the console's cookies keep Strict (CSRF) and Lax (session) beside embeddable sites", async () => {
    const admin = visitor(w);
    const csrf = only(await admin.get("/console/api/csrf"));
    expect(csrf.name).toBe("__Host-enclave_csrf");
    expect(csrf.attrs).toEqual(["path=/", "samesite=strict", "secure"]);
    const login = await admin.post("/console/api/login", { email: OWNER.email, password: OWNER.password });
    expect(login.statusCode).toBe(200);
    const session = setCookies(login).find((c) => c.name === "__Host-enclave_session")!;
    expect(session.attrs).toEqual(["httponly", "path=/", "samesite=lax", "secure"]);
  });

  it("a cross-site write carrying the SameSite=None cookies but no token header is refused", async () => {
    const v = visitor(w);
    await v.appCsrf(embedded.siteCode);
    expect((await v.post(`/app-api/${embedded.siteCode}/visit`)).statusCode).toBe(200);
    // What a hostile page's form or fetch sends: the cookies (SameSite=None), an Origin, no header.
    const cookie = v.cookieHeader();
    for (const path of ["chat-messages", "visit"]) {
      const res = await w.t.app.inject({
        method: "POST",
        url: `/app-api/${embedded.siteCode}/${path}`,
        headers: { ...HTTPS, cookie, origin: "https://evil.example", "content-type": "application/json" },
        payload: { query: "spend the owner's tokens", inputs: {} },
      });
      expect(res.statusCode, path).toBe(403);
      expect(res.json(), path).toMatchObject({ code: "csrf_failed" });
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("refuses forged, unsigned, mismatched and other scopes' tokens", async () => {
    const v = visitor(w);
    const token = await v.appCsrf(embedded.siteCode);
    await v.post(`/app-api/${embedded.siteCode}/visit`);
    const consoleToken = await v.csrf();
    const plainToken = await v.appCsrf(plain.siteCode);
    const appCookie = `__Host-enclave_app_csrf_${embedded.siteCode}`;
    const visit = `__Host-enclave_visit_${embedded.siteCode}=${v.cookies.get(`__Host-enclave_visit_${embedded.siteCode}`)}`;
    const [nonce, mac] = token.split(".") as [string, string];
    const flipped = mac.replace(/^./, (c) => (c === "0" ? "1" : "0"));

    const chatWith = (cookie: string, header?: string) =>
      w.t.app.inject({
        method: "POST",
        url: `/app-api/${embedded.siteCode}/chat-messages`,
        headers: {
          ...HTTPS,
          cookie: `${visit}; ${cookie}`,
          "content-type": "application/json",
          ...(header !== undefined ? { "x-csrf-token": header } : {}),
        },
        payload: { query: "x", inputs: {} },
      });
    const refused: [string, string, string?][] = [
      ["unsigned pair", `${appCookie}=abc`, "abc"],
      ["made-up signature", `${appCookie}=${nonce}.${"0".repeat(64)}`, `${nonce}.${"0".repeat(64)}`],
      ["tampered signature", `${appCookie}=${nonce}.${flipped}`, `${nonce}.${flipped}`],
      ["extra part", `${appCookie}=${token}.x`, `${token}.x`],
      ["header differs from cookie", `${appCookie}=${token}`, plainToken],
      ["cookie only", `${appCookie}=${token}`],
      ["header only", "", token],
      ["console token in the app cookie", `${appCookie}=${consoleToken}`, consoleToken],
      ["console cookie and header", `__Host-enclave_csrf=${consoleToken}`, consoleToken],
      ["another app's token", `${appCookie}=${plainToken}`, plainToken],
      // The token sent as the http-name cookie over https: only the scheme's own names are read.
      ["http cookie name over https", `enclave_app_csrf_${embedded.siteCode}=${token}`, token],
    ];
    for (const [why, cookie, header] of refused) {
      const res = await chatWith(cookie, header);
      expect(res.statusCode, why).toBe(403);
      expect(res.json(), why).toMatchObject({ code: "csrf_failed" });
    }
    expect((await chatWith(`${appCookie}=${token}`, token)).statusCode).toBe(200);

    // A path no route serves is a 404, token or not; it never reaches a handler.
    for (const url of [
      `/app-api/${embedded.siteCode}/no-such-verb`,
      "/app-api/no-such-thing",
      "/console/api/nope",
    ]) {
      const res = await w.t.app.inject({
        method: "POST",
        url,
        headers: { ...HTTPS, cookie: visit },
        payload: {},
      });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: "not_found" });
    }

    // And the other way: a web app token does not pass for the console.
    const login = await w.t.app.inject({
      method: "POST",
      url: "/console/api/login",
      headers: { ...HTTPS, cookie: `__Host-enclave_csrf=${token}`, "x-csrf-token": token },
      payload: { email: OWNER.email, password: OWNER.password },
    });
    expect(login.statusCode).toBe(403);
    expect(login.json()).toMatchObject({ code: "csrf_failed" });
  });

  it("/csrf keeps a valid token, replaces a foreign one, and is 404 for unknown sites", async () => {
    const v = visitor(w);
    const first = await v.appCsrf(embedded.siteCode);
    expect(await v.appCsrf(embedded.siteCode)).toBe(first);
    v.cookies.set(`__Host-enclave_app_csrf_${embedded.siteCode}`, await v.appCsrf(plain.siteCode));
    const replaced = await v.appCsrf(embedded.siteCode);
    expect(replaced).not.toBe(first);
    expect(replaced).not.toBe(v.cookies.get(`__Host-enclave_app_csrf_${plain.siteCode}`));
    expect((await v.get("/app-api/0123456789abcdef0123/csrf")).statusCode).toBe(404);
  });
});
