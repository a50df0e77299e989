// The chat UI's details in headless Chromium, on an app seeded over the API with a dataset attached:
// hostile markdown renders as text in the debug pane and the web app (the XSS bullet); in the
// published web app a visitor sees citations, rates answers, renames and deletes conversations
// (after a confirm), on a desktop and on a 390×844 phone, each change checked on the server. The
// acceptance flow itself (UI-made provider, streaming, publish, logs) is console-browser.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { AppView, MessageLogView, Page as ListPage } from "@enclave/contracts";
import type { ConsoleClient } from "../console-client.ts";
import { addTextDocument, createDataset, createKnowledgeApp, settle } from "../knowledge/knowledge-world.ts";
import type { KnowledgeApp } from "../knowledge/knowledge-world.ts";
import {
  type BrowserWorld,
  FAKE_MODEL,
  hasChromium,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
} from "./browser-world.ts";
import { sendAndWait } from "./chat-steps.ts";

const HOSTILE = "hi <script>alert('s')</script> and [x](javascript:alert(1))";
const inPage = (p: Page, expression: string) => p.evaluate(expression);

async function assertInert(page: Page) {
  const log = page.getByTestId("chat-log");
  expect(await log.locator("script").count()).toBe(0);
  expect(await log.locator("img").count()).toBe(0);
  expect(await log.locator('a[href^="javascript"]').count()).toBe(0);
  // The link text survives as text, with no href.
  const x = log.locator("a", { hasText: /^x$/ });
  for (const a of await x.all()) expect(await a.getAttribute("href")).toBeNull();
}

describe.skipIf(!hasChromium)("chat UI in the browser: debug pane and web app", { timeout: 60_000 }, () => {
  let w: BrowserWorld;
  let owner: ConsoleClient;
  let appId = "";
  let siteCode = "";

  /** A visitor's conversation names as the server keeps them (asked with that visitor's cookie). */
  const serverConversations = async (visitor: Page) => {
    const res = await visitor.request.get(`${w.base}/app-api/${siteCode}/conversations?limit=50`);
    return ((await res.json()) as { data: { name: string }[] }).data.map((c) => c.name).sort();
  };
  /** The app's messages as the server has them (the owner reads every log). */
  const serverMessages = async () =>
    ((await owner.get(`/console/api/apps/${appId}/messages?limit=100`)).json() as ListPage<MessageLogView>)
      .data;

  beforeAll(async () => {
    w = await startBrowserWorld({ createApp: () => createKnowledgeApp() });
    let providerId: string;
    ({ owner, providerId } = await seedOwnerWithProvider(w));
    const datasetId = await createDataset(owner, { name: "Policies", permission: "all_team_members" });
    const doc = await addTextDocument(
      owner,
      datasetId,
      "Residency policy",
      "Residency: customer data stays in the Frankfurt region.\n\nThe cafeteria opens at eight.",
    );
    await settle(w.t as KnowledgeApp, [doc]);
    const created = await owner.post("/console/api/apps", {
      name: "Policy bot",
      mode: "chat",
      config: {
        model: { providerId, name: FAKE_MODEL },
        datasets: { datasetIds: [datasetId], retrieval: { topK: 2 } },
      },
    });
    appId = (created.json() as AppView).id;
    const published = await owner.post(`/console/api/apps/${appId}/publish`);
    expect(published.statusCode).toBe(200);
    siteCode = (published.json() as AppView).siteCode;
  }, 120_000);
  afterAll(async () => w?.close());

  it("debug pane: a hostile answer renders as text; restart clears the transcript; Stop stops on the server", async () => {
    const page = await w.newPage();
    await signIn(w, page);
    await page.goto(`${w.base}/apps/${appId}`);
    await page.getByRole("tab", { name: "Debug" }).click();
    const answer = await sendAndWait(page, HOSTILE);
    expect(await answer.textContent()).toContain("<script>alert('s')</script>");
    await assertInert(page);
    await w.shot(page, "debug-chat-light");
    await page.getByTestId("chat-restart").click();
    expect(await page.getByTestId("chat-answer").count()).toBe(0);

    // Stop, while a slow answer streams: the server ends it and keeps the part, marked stopped.
    w.fake.behave("slow", { delayMs: 200 });
    try {
      const input = page.getByTestId("chat-input");
      await input.fill("one two three four five six seven eight nine ten");
      await input.press("Enter");
      const streaming = page.getByTestId("chat-answer").last();
      await streaming.getByText("Echo:").waitFor();
      await page.getByTestId("chat-stop").click();
      await expect.poll(() => streaming.getAttribute("data-status")).toBe("stopped");
      await streaming.getByText("Stopped.").waitFor();
      const row = async () => (await serverMessages()).find((m) => m.query?.startsWith("one two three"));
      await expect.poll(async () => (await row())?.status).toBe("stopped");
      expect((await row())!.answer!.split(" ").length).toBeLessThan(11);
    } finally {
      w.fake.behave("echo");
    }
    await page.context().close();
  });

  it("web app on a phone (中文, 390×844): a hostile answer is inert, nothing sticks out, the menu lists it", async () => {
    const phone = await w.newPage({ locale: "zh-CN" });
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${w.base}/app/${siteCode}`);
    expect(await phone.getByTestId("webapp-title").textContent()).toBe("Policy bot");
    // The conversation list hides behind the menu button on a phone.
    expect(await phone.getByTestId("webapp-conversations").isVisible()).toBe(false);
    await sendAndWait(phone, HOSTILE);
    await assertInert(phone);
    expect(await phone.locator("img").count()).toBe(0);
    expect(await inPage(phone, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await w.shot(phone, "webapp-mobile-zh-hans");
    await phone.getByRole("button", { name: "对话列表" }).click();
    const list = phone.getByTestId("webapp-conversations");
    await expect.poll(() => list.locator("li").count()).toBe(1);
    expect(await list.isVisible()).toBe(true);
    expect(await inPage(phone, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await w.shot(phone, "webapp-mobile-menu-zh-hans");
    await phone.context().close();
  });

  it("web app: citations from the dataset, feedback stored, rename, delete after a confirm", async () => {
    const visitor = await w.newPage();
    await visitor.goto(`${w.base}/app/${siteCode}`);
    const answer = await sendAndWait(visitor, "Where does customer data stay?");
    // message_end's retriever_resources, shown under the answer.
    const citations = answer.getByTestId("citations");
    await citations.locator("summary").click();
    expect(await citations.textContent()).toContain("Residency policy");
    expect(await citations.textContent()).toContain("Frankfurt region");

    const like = answer.getByRole("button", { name: "Helpful", exact: true });
    const dislike = answer.getByRole("button", { name: "Not helpful", exact: true });
    await like.click();
    await expect.poll(() => like.getAttribute("aria-pressed")).toBe("true");
    const rating = async () =>
      (await serverMessages()).find((m) => m.query === "Where does customer data stay?")?.feedback?.rating;
    await expect.poll(rating).toBe("like");
    await dislike.click();
    await expect.poll(() => dislike.getAttribute("aria-pressed")).toBe("true");
    await expect.poll(rating).toBe("dislike");

    // A second conversation; both are listed.
    await visitor.getByTestId("webapp-new").click();
    await sendAndWait(visitor, "second chat");
    const items = visitor.getByTestId("webapp-conversations").locator("li");
    await expect.poll(() => items.count()).toBe(2);

    // Rename the first.
    const first = items.filter({ hasText: "Where does customer data" });
    await first.getByRole("button", { name: "Rename" }).click();
    await visitor.getByRole("textbox", { name: "Rename" }).fill("Residency question");
    await visitor.getByRole("button", { name: "Save", exact: true }).click();
    await items.filter({ hasText: "Residency question" }).waitFor();
    await expect.poll(() => serverConversations(visitor)).toEqual(["Residency question", "second chat"]);

    // Delete asks first; cancel keeps the conversation, confirming removes it and clears the view.
    const second = items.filter({ hasText: "second chat" });
    await second.getByRole("button", { name: "Delete" }).click();
    const confirm = visitor.getByTestId("webapp-delete-confirm");
    expect(await confirm.textContent()).toContain("Delete “second chat”?");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await items.count()).toBe(2);
    expect(await serverConversations(visitor)).toHaveLength(2);
    await second.getByRole("button", { name: "Delete" }).click();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => items.count()).toBe(1);
    expect(await visitor.getByTestId("chat-answer").count()).toBe(0);
    await expect.poll(() => serverConversations(visitor)).toEqual(["Residency question"]);
    await w.shot(visitor, "webapp-light");

    // After a reload the kept conversation opens with its citations and rating.
    await visitor.reload();
    await items
      .filter({ hasText: "Residency question" })
      .getByRole("button", { name: "Residency question" })
      .click();
    const stored = visitor.getByTestId("chat-answer").first();
    await stored.getByTestId("citations").waitFor();
    expect(
      await stored.getByRole("button", { name: "Not helpful", exact: true }).getAttribute("aria-pressed"),
    ).toBe("true");
    await visitor.context().close();
  });

  it("fired no dialog and no CSP error anywhere", () => {
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
  });
});
