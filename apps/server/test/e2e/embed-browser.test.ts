// A published web app embedded on another site, in headless Chromium with third-party cookies
// blocked: Enclave behind a loopback TLS proxy at https://localhost:<p>, the embedding page at
// https://127.0.0.1:<q> (another site). Chat works inside the iframe on Partitioned cookies; a
// page not in siteEmbedOrigins cannot frame the app; a login-only site offers a new tab.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../console-client.ts";
import {
  type BrowserWorld,
  FAKE_MODEL,
  hasChromium,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
} from "./browser-world.ts";

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

/** A throwaway self-signed certificate for localhost and 127.0.0.1 (openssl CLI, no native builds). */
function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "enclave-tls-"));
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  const made = spawnSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** TLS termination in front of the app, as a trusted proxy (127.0.0.1) saying the scheme was https. */
function tlsProxy(tls: { key: Buffer; cert: Buffer }, upstream: string): Server {
  const target = new URL(upstream);
  return createServer(tls, (req, res) => {
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, "x-forwarded-proto": "https" },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
}

/** The embedding site: `/<code>` is a page that frames Enclave's `/app/<code>`. */
function hostSite(tls: { key: Buffer; cert: Buffer }, enclave: string): Server {
  return createServer(tls, (req, res) => {
    const code = (req.url ?? "/").slice(1).replace(/[^0-9a-f]/g, "");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><title>Intranet</title><h1>Intranet</h1>` +
        `<iframe id="chat" src="${enclave}/app/${code}" width="900" height="640"></iframe>`,
    );
  });
}

async function publishApp(owner: ConsoleClient, providerId: string, settings: Record<string, unknown>) {
  const created = await owner.post("/console/api/apps", {
    name: "Embedded helper",
    mode: "chat",
    config: { model: { providerId, name: FAKE_MODEL }, prePrompt: "You are helpful." },
  });
  const appId = (created.json() as { id: string }).id;
  expect((await owner.patch(`/console/api/apps/${appId}`, settings)).statusCode).toBe(200);
  expect((await owner.post(`/console/api/apps/${appId}/publish`)).statusCode).toBe(200);
  return {
    appId,
    code: ((await owner.get(`/console/api/apps/${appId}`)).json() as { siteCode: string }).siteCode,
  };
}

describe.skipIf(!hasChromium || !hasOpenssl)("a web app embedded on another site over HTTPS", () => {
  let w: BrowserWorld;
  const servers: Server[] = [];
  let enclave = "";
  let allowedHost = "";
  let otherHost = "";
  let app = { appId: "", code: "" };
  let loginOnly = { appId: "", code: "" };
  beforeAll(async () => {
    w = await startBrowserWorld({
      env: { TRUSTED_PROXIES: "127.0.0.1" },
      // The test's own certificate; and third-party cookies blocked, so only Partitioned ones work.
      browserArgs: ["--ignore-certificate-errors", "--test-third-party-cookie-phaseout"],
    });
    const tls = selfSignedCert();
    const proxy = tlsProxy(tls, w.base);
    servers.push(proxy);
    enclave = `https://localhost:${await listen(proxy)}`;
    const [allowed, other] = [hostSite(tls, enclave), hostSite(tls, enclave)];
    servers.push(allowed, other);
    allowedHost = `https://127.0.0.1:${await listen(allowed)}`;
    otherHost = `https://127.0.0.1:${await listen(other)}`;
    const { owner, providerId } = await seedOwnerWithProvider(w);
    app = await publishApp(owner, providerId, { siteEmbedOrigins: [allowedHost] });
    loginOnly = await publishApp(owner, providerId, {
      siteEmbedOrigins: [allowedHost],
      siteRequireLogin: true,
    });
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await w?.close();
  });

  it("chats inside the iframe on the listed site, on Partitioned cookies keyed to that site", async () => {
    const page = await w.newPage();
    await page.goto(`${allowedHost}/${app.code}`);
    const frame = page.frameLocator("#chat");
    expect(await frame.getByTestId("webapp-title").textContent()).toBe("Embedded helper");
    const input = frame.getByTestId("chat-input");
    await input.fill("hello from the intranet");
    await input.press("Enter");
    const answer = frame.getByTestId("chat-answer").last();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("done");
    expect(await answer.textContent()).toContain("Echo: hello from the intranet");

    const cookies = await page.context().cookies(enclave);
    const names = cookies.map((c) => c.name).sort();
    expect(names).toEqual([`__Host-enclave_app_csrf_${app.code}`, `__Host-enclave_visit_${app.code}`]);
    for (const c of cookies) {
      expect(c).toMatchObject({ sameSite: "None", secure: true, httpOnly: true, path: "/" });
      expect(c.partitionKey).toBe("https://127.0.0.1");
    }
    expect(w.pageErrors).toEqual([]);
    await w.shot(page, "webapp-embedded");
  });

  it("a page not listed in siteEmbedOrigins cannot frame the app", async () => {
    const page = await w.newPage();
    const refused = page.waitForEvent("console", (m) => /frame-ancestors/.test(m.text()));
    await page.goto(`${otherHost}/${app.code}`);
    await refused;
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    expect(frame.url()).not.toContain("/app/");
    expect(await page.frameLocator("#chat").getByTestId("webapp-title").count()).toBe(0);
    w.pageErrors.length = 0; // the refusal above is the expected one
  });

  it("a site that requires login offers signing in in a new tab instead of a framed login page", async () => {
    const page = await w.newPage();
    await page.goto(`${allowedHost}/${loginOnly.code}`);
    const prompt = page.frameLocator("#chat").getByTestId("webapp-sign-in");
    const link = prompt.getByRole("link");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("href")).toBe(
      `/login?next=${encodeURIComponent(`/app/${loginOnly.code}`)}`,
    );
    expect(w.pageErrors).toEqual([]);
  });

  it("the console's embed panel warns when the console itself is on plain HTTP", async () => {
    const page = await w.newPage();
    await signIn(w, page);
    await page.goto(`${w.base}/apps/${app.appId}`);
    await page.getByRole("tab", { name: "Debug" }).click();
    await page.getByTestId("embed-http-note").waitFor();
    expect(await page.getByTestId("embed-snippet").textContent()).toContain(`${w.base}/app/${app.code}`);
  });
});
