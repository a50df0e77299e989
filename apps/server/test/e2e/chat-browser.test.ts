// Issue 7, acceptance bullet 1 from "create a chat app" on, and the XSS bullet, in headless
// Chromium: debug pane streaming against the draft, publish, API key, the published web app in a
// fresh context, its conversation in the creator's logs and hidden from another editor.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { addMember, PASSWORD } from "../identity-world.ts";
import {
  type BrowserWorld,
  FAKE_MODEL,
  hasChromium,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
} from "./browser-world.ts";

const XSS_NAME = "<img src=x onerror=alert(1)>";
const HOSTILE = "hi <script>alert('s')</script> and [x](javascript:alert(1))";

async function assertInert(page: Page) {
  const log = page.getByTestId("chat-log");
  expect(await log.locator("script").count()).toBe(0);
  expect(await log.locator("img").count()).toBe(0);
  expect(await log.locator('a[href^="javascript"]').count()).toBe(0);
  // The link text survives as text, with no href.
  const x = log.locator("a", { hasText: /^x$/ });
  for (const a of await x.all()) expect(await a.getAttribute("href")).toBeNull();
}

describe.skipIf(!hasChromium)("chat in the browser: debug pane, published web app, logs", () => {
  let w: BrowserWorld;
  let page: Page;
  let appId = "";
  let siteCode = "";
  beforeAll(async () => {
    w = await startBrowserWorld();
    const { owner } = await seedOwnerWithProvider(w);
    await addMember(w.t, owner, "ed@example.com", "editor");
    page = await w.newPage();
    await signIn(w, page);
  }, 120_000);
  afterAll(async () => w?.close());

  it("creates a chat app and chats with the draft in the debug pane, streaming", async () => {
    await page.getByLabel("Name", { exact: true }).fill(XSS_NAME);
    await page.getByLabel("Type").selectOption("chat");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    appId = page.url().split("/").pop()!;
    await page.getByLabel("Model provider").selectOption({ label: "Local fake" });
    await page.getByLabel("Model", { exact: true }).selectOption(FAKE_MODEL);
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Saved.").waitFor();

    await page.getByRole("tab", { name: "Debug" }).click();
    w.fake.behave("slow", { delayMs: 150 });
    const input = page.getByTestId("chat-input");
    await input.fill("one two three four five six");
    await input.press("Enter");
    const answer = page.getByTestId("chat-answer").last();
    // The answer grows while the stream is open: seen partially, then whole.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await answer.textContent()) ?? "");
          return answer.getAttribute("data-status");
        },
        { interval: 50, timeout: 15_000 },
      )
      .toBe("done");
    const final = (await answer.textContent()) ?? "";
    expect(final).toContain("Echo: one two three four five six");
    const partial = [...seen].filter((s) => s.includes("Echo:") && !s.includes("six"));
    expect(partial.length).toBeGreaterThan(0);
    expect(await page.getByTestId("chat-usage").textContent()).toMatch(/\d+ tokens · \d+\.\d\d s/);
    w.fake.behave("echo");

    // Second turn keeps the conversation; hostile markdown renders as text.
    await input.fill(HOSTILE);
    await input.press("Enter");
    await expect.poll(() => page.getByTestId("chat-answer").last().getAttribute("data-status")).toBe("done");
    expect(await page.getByTestId("chat-answer").last().textContent()).toContain(
      "<script>alert('s')</script>",
    );
    await assertInert(page);
    await w.shot(page, "debug-chat-light");

    await page.getByTestId("chat-restart").click();
    expect(await page.getByTestId("chat-answer").count()).toBe(0);
  });

  it("publishes, creates an API key, and a fresh visitor chats in the web app", async () => {
    await page.getByTestId("publish").click();
    await expect.poll(() => page.getByTestId("publish-state").textContent()).toContain("Version 1");
    await page.getByRole("tab", { name: "API access" }).click();
    await page.getByLabel("Key name").fill("e2e");
    await page.getByTestId("create-api-key").click();
    expect(await page.getByTestId("api-key-token").inputValue()).toMatch(/^app-/);
    const app = (await (await page.request.get(`${w.base}/console/api/apps/${appId}`)).json()) as {
      siteCode: string;
    };
    siteCode = app.siteCode;

    const visitor = await w.newPage({ locale: "zh-CN" });
    await visitor.setViewportSize({ width: 390, height: 844 });
    await visitor.goto(`${w.base}/app/${siteCode}`);
    expect(await visitor.getByTestId("webapp-title").textContent()).toBe(XSS_NAME);
    const input = visitor.getByTestId("chat-input");
    await input.fill(HOSTILE);
    await input.press("Enter");
    await expect
      .poll(() => visitor.getByTestId("chat-answer").last().getAttribute("data-status"))
      .toBe("done");
    await assertInert(visitor);
    expect(await visitor.locator("img").count()).toBe(0);
    await visitor.getByRole("button", { name: "有帮助", exact: true }).click();
    await expect
      .poll(() => visitor.getByRole("button", { name: "有帮助", exact: true }).getAttribute("aria-pressed"))
      .toBe("true");
    await w.shot(visitor, "webapp-mobile-zh-hans");
    await visitor.setViewportSize({ width: 1280, height: 800 });
    await visitor.getByTestId("webapp-conversations").locator("li").first().waitFor();
    await w.shot(visitor, "webapp-light");
  });

  it("shows the web conversation in the creator's logs and hides logs from another editor", async () => {
    await page.getByRole("tab", { name: "Logs", exact: true }).click();
    await page.getByTestId("conversations").waitFor();
    // The visitor's web conversation, beside the creator's own debug one.
    await expect.poll(() => page.getByTestId("conversations").textContent()).toContain("visitor:");

    const editor = await w.newPage();
    await signIn(w, editor, "ed@example.com", PASSWORD);
    await editor.goto(`${w.base}/apps/${appId}`);
    await editor.getByRole("tab", { name: "Logs", exact: true }).click();
    await expect
      .poll(() => editor.getByTestId("logs-hidden").textContent())
      .toContain("The creator, admins and the owner");
    expect(await editor.getByTestId("conversations").count()).toBe(0);
  });

  it("fired no dialog and no CSP error anywhere", () => {
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
  });
});
