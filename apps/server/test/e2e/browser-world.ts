// Shared set-up for browser tests: the built SPA served by a fresh embedded server on loopback,
// the fake model server, Debian's headless Chromium, and pages that record every dialog, page
// error and CSP refusal (so XSS and CSP checks can fail). Seeding happens over the console API
// (fast); each test then signs in through the real login page.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createTestApp, type TestApp } from "../helpers.ts";
import { FAKE_MODEL, startFakeModelServer, type FakeModelServer } from "../fixtures/fake-model-server.ts";
import type { ConsoleClient } from "../console-client.ts";
import { OWNER, setupOwner } from "../identity-world.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const ROOT = join(import.meta.dirname, "..", "..", "..", "..");
export const SHOTS = join(ROOT, "test-artifacts", "screenshots");
export { FAKE_MODEL, OWNER };

export interface BrowserWorld {
  t: TestApp;
  fake: FakeModelServer;
  browser: Browser;
  base: string;
  /** Alert/confirm/prompt messages seen on any page of this world (each dismissed). */
  dialogs: string[];
  /** Uncaught page errors and CSP refusals seen on any page. */
  pageErrors: string[];
  /** A page in its own browser context (own cookies), watched for dialogs and CSP errors. */
  newPage(opts?: { locale?: string }): Promise<Page>;
  shot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowserWorld(
  opts: {
    env?: Record<string, string>;
    /** The server under test, when the default one is not enough (e.g. one running the worker). */
    createApp?: () => Promise<TestApp>;
    /** Extra Chromium switches (e.g. --ignore-certificate-errors for a test-made certificate). */
    browserArgs?: string[];
  } = {},
): Promise<BrowserWorld> {
  const build = spawnSync(process.execPath, [join(ROOT, "apps/web/scripts/ensure-built.js")], {
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`web build failed: ${build.stderr}`);
  mkdirSync(SHOTS, { recursive: true });
  const fake = await startFakeModelServer();
  const t = opts.createApp ? await opts.createApp() : await createTestApp(opts.env ? { env: opts.env } : {});
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      ...(opts.browserArgs ?? []),
    ],
  });
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  return {
    t,
    fake,
    browser,
    base,
    dialogs,
    pageErrors,
    async newPage({ locale = "en-US" } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
      // Generous: CI runs browser tests beside the rest of the suite on two cores.
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      const page = await context.newPage();
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) pageErrors.push(m.text());
      });
      page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
      return page;
    },
    async shot(page, name) {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await t.close();
      await fake.close();
    },
  };
}

/**
 * First-run setup over the API, loopback allowlisted and an OpenAI-compatible provider on the fake
 * model server (chat model FAKE_MODEL, embedding model "embed-8"). Returns the owner's API client.
 */
export async function seedOwnerWithProvider(
  w: BrowserWorld,
  providerName = "Local fake",
): Promise<{ owner: ConsoleClient; providerId: string; workspaceId: string }> {
  const { owner, workspaceId } = await setupOwner(w.t);
  const allow = await owner.post("/console/api/workspaces/current/outbound-allowlist", {
    entry: "127.0.0.1",
  });
  if (allow.statusCode !== 201) throw new Error(`allowlist failed: ${allow.statusCode} ${allow.body}`);
  const res = await owner.post("/console/api/workspaces/current/model-providers", {
    kind: "openai_compatible",
    name: providerName,
    baseUrl: w.fake.url,
    apiKey: "sk-e2e-canary-0123456789",
    models: [
      { name: FAKE_MODEL, type: "llm" },
      { name: "embed-8", type: "text-embedding" },
    ],
  });
  if (res.statusCode !== 201) throw new Error(`provider failed: ${res.statusCode} ${res.body}`);
  return { owner, providerId: (res.json() as { id: string }).id, workspaceId };
}

/** Signs in through the login page and waits for the console's apps list. */
export async function signIn(w: BrowserWorld, page: Page, email = OWNER.email, password = OWNER.password) {
  await page.goto(`${w.base}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Apps" }).waitFor();
}
