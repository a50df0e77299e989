// Knowledge pages end to end in Debian's headless Chromium: create a dataset, upload several files
// at once (one refused, one hostile), watch them index, edit a chunk, hit-test, and check that
// names render as text and that another member never sees someone's only_me dataset.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { makeDocx, makeExe, makeRatioBombDocx } from "@enclave/core/testing/knowledge-corpus";
import type { ConsoleClient } from "../console-client.ts";
import { addMember } from "../identity-world.ts";
import { createKnowledgeApp } from "../knowledge/knowledge-world.ts";
import {
  type BrowserWorld,
  hasChromium,
  ROOT,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
} from "./browser-world.ts";
import { checkUntranslated, loadEnglishCatalogue } from "./untranslated.ts";

const XSS = "<img src=x onerror=alert(1)>";
const MEMBER = { email: "mia@example.com", password: "amber quartz meadow 2207" };
const inPage = (p: Page, expression: string) => p.evaluate(expression);

// Records every value the upload bars and status badges take, so the test can tell they moved.
const WATCH = `(() => {
  const seen = (window.__seen = { uploads: {}, statuses: {} });
  const record = () => {
    for (const li of document.querySelectorAll("[data-testid=upload-item]")) {
      const name = li.querySelector(".upload-name").textContent;
      const v = li.querySelector("progress").value + ":" + li.dataset.phase;
      const list = (seen.uploads[name] ??= []);
      if (list.at(-1) !== v) list.push(v);
    }
    for (const tr of document.querySelectorAll("[data-testid=document-row]")) {
      const v = tr.querySelector("[data-testid=doc-status]").textContent;
      const list = (seen.statuses[tr.dataset.name] ??= []);
      if (list.at(-1) !== v) list.push(v);
    }
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

if (!hasChromium) console.warn("knowledge e2e skipped: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("knowledge pages in a real browser", { timeout: 60_000 }, () => {
  let w: BrowserWorld;
  let owner: ConsoleClient;
  let page: Page;
  let privateId = "";
  let datasetUrl = "";

  beforeAll(async () => {
    w = await startBrowserWorld({ createApp: () => createKnowledgeApp() });
    ({ owner } = await seedOwnerWithProvider(w));
    await addMember(w.t, owner, MEMBER.email, "member", MEMBER.password);
    const priv = await owner.post("/console/api/datasets", { name: "Private ledger", permission: "only_me" });
    expect(priv.statusCode).toBe(201);
    privateId = (priv.json() as { id: string }).id;
    const hostile = await owner.post("/console/api/datasets", {
      name: XSS,
      description: "<script>alert(2)</script>",
      permission: "all_team_members",
    });
    expect(hostile.statusCode).toBe(201);
    page = await w.newPage();
    await signIn(w, page);
  }, 60_000);
  afterAll(() => w?.close());

  it("creates an economy dataset; names render as text", async () => {
    await page.getByRole("link", { name: "Knowledge", exact: true }).click();
    await page.getByRole("heading", { name: "Knowledge", level: 1 }).waitFor();
    const cards = page.getByTestId("dataset-card");
    await expect.poll(() => cards.count()).toBe(2);
    await expect.poll(() => page.getByRole("link", { name: XSS }).count()).toBe(1);
    expect(await inPage(page, `document.querySelectorAll("main img, main script").length`)).toBe(0);
    await w.shot(page, "knowledge-list-light");

    await page.getByRole("button", { name: "New knowledge base" }).click();
    // Validation happens in the browser with the contracts schema: an empty name sends nothing.
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByText("This field is required.").first().waitFor();
    await page.getByLabel("Name", { exact: true }).fill("Handbook");
    await page.getByLabel("Indexing").selectOption("economy");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByTestId("dataset-name").filter({ hasText: "Handbook" }).waitFor();
    datasetUrl = page.url();
    expect(datasetUrl).toMatch(/\/knowledge\/[0-9a-f-]{36}$/);
  });

  it("uploads several files at once: good ones complete, the refused and the hostile fail alone", async () => {
    await inPage(page, WATCH);
    const text = (s: string) => Buffer.from(s);
    await page.getByTestId("file-input").setInputFiles([
      { name: "notes.txt", mimeType: "text/plain", buffer: text("Office plants need watering on Tuesdays.") },
      {
        name: "guide.md",
        mimeType: "text/markdown",
        buffer: text("# Travel\n\nBook trains two weeks ahead."),
      },
      {
        name: "memo.docx",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(makeDocx(["The 数据主权 memo."])),
      },
      { name: "setup.pdf", mimeType: "application/pdf", buffer: Buffer.from(makeExe()) },
      { name: "bomb.docx", mimeType: "application/octet-stream", buffer: Buffer.from(makeRatioBombDocx(32)) },
    ]);
    const items = page.getByTestId("upload-item");
    await expect.poll(() => items.count()).toBe(5);
    // The .exe named .pdf is refused at upload, with the server's reason on that file only.
    const refused = items.filter({ hasText: "setup.pdf" });
    await refused.and(page.locator("[data-phase=failed]")).waitFor();
    expect(await refused.getByRole("alert").innerText()).toMatch(/\w{3,}/);

    const rows = page.getByTestId("document-row");
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(4);
    for (const name of ["notes.txt", "guide.md", "memo.docx"]) {
      await rows
        .filter({ hasText: name })
        .getByTestId("doc-status")
        .filter({ hasText: "Completed" })
        .waitFor({ timeout: 30_000 });
      expect(await rows.filter({ hasText: name }).getByTestId("doc-progress").innerText()).toMatch(
        /^([1-9]\d*) \/ \1 chunks$/,
      );
    }
    const bomb = rows.filter({ hasText: "bomb.docx" });
    await bomb.getByTestId("doc-status").filter({ hasText: "Error" }).waitFor({ timeout: 30_000 });
    expect(await bomb.getByTestId("doc-error").innerText()).toMatch(/\w{3,}/);

    const seen = (await inPage(page, "window.__seen")) as {
      uploads: Record<string, string[]>;
      statuses: Record<string, string[]>;
    };
    // Each bar started empty and ended full (uploaded) — the progress UI moved.
    for (const name of ["notes.txt", "guide.md", "memo.docx", "bomb.docx"]) {
      expect(seen.uploads[name]?.[0], name).toMatch(/^0:/);
      expect(seen.uploads[name]?.at(-1), name).toBe("100:uploaded");
    }
    expect(seen.uploads["setup.pdf"]?.at(-1)).toMatch(/:failed$/);
    for (const name of ["notes.txt", "guide.md", "memo.docx"])
      expect(seen.statuses[name]?.at(-1)).toBe("Completed");
    // Polling stopped: once everything is terminal no more indexing-status requests are made.
    let polls = 0;
    page.on("request", (r) => {
      if (r.url().includes("/indexing-status")) polls++;
    });
    await page.waitForTimeout(2500);
    expect(polls).toBe(0);
    await page.getByTestId("documents").scrollIntoViewIfNeeded();
    await w.shot(page, "knowledge-dataset-light");
  });

  it("edits a chunk (re-indexed) and hit-tests it: the edited chunk comes first with its score", async () => {
    await page.getByTestId("document-row").filter({ hasText: "notes.txt" }).getByRole("link").click();
    await page.getByTestId("document-name").filter({ hasText: "notes.txt" }).waitFor();
    const seg = page.getByTestId("segment").first();
    await seg.getByTestId("segment-text").filter({ hasText: "Office plants" }).waitFor();
    await seg.getByRole("button", { name: "Edit" }).click();
    await seg
      .getByLabel("Chunk text")
      .fill("Office plants need watering on Tuesdays; the zephyrine fern on Fridays.");
    await seg.getByRole("button", { name: "Save and re-index" }).click();
    await seg.getByTestId("segment-text").filter({ hasText: "zephyrine" }).waitFor();

    await page.getByRole("link", { name: "Back to the knowledge base" }).click();
    await page.getByRole("link", { name: "Retrieval test" }).click();
    await page.getByLabel("Query").fill("zephyrine fern");
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const first = page.getByTestId("hit").first();
    await first.waitFor();
    expect(await first.getByTestId("hit-text").innerText()).toContain("zephyrine");
    expect(await first.getByTestId("hit-document").innerText()).toBe("notes.txt");
    expect(await first.getByTestId("hit-score").innerText()).toMatch(/^Score (0|1)\.\d{3}$/);
    await w.shot(page, "knowledge-hit-testing-light");
  });

  it("shows the knowledge pages in Japanese with no untranslated strings", async () => {
    const cats = await loadEnglishCatalogue(ROOT);
    await page.getByTestId("locale").selectOption("ja");
    await page.getByRole("heading", { name: "検索テスト" }).waitFor();
    const visible = () => inPage(page, `document.querySelector("main").innerText`) as Promise<string>;
    expect(checkUntranslated(cats, "ja", await visible())).toEqual([]);
    await w.shot(page, "knowledge-hit-testing-ja");
    await page.goto(datasetUrl);
    await page.getByTestId("locale").selectOption("ja");
    await page.getByRole("heading", { name: "ドキュメント", exact: true }).waitFor();
    expect(checkUntranslated(cats, "ja", await visible())).toEqual([]);
    await page.getByTestId("documents").scrollIntoViewIfNeeded();
    await w.shot(page, "knowledge-dataset-ja");
    await page.getByRole("link", { name: "ナレッジ", exact: true }).click();
    await page.getByRole("heading", { name: "ナレッジ", level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId("dataset-card").count()).toBe(3);
    expect(checkUntranslated(cats, "ja", await visible())).toEqual([]);
    await w.shot(page, "knowledge-list-ja");
  });

  it("a member does not see the owner's only_me dataset, in the list or by id", async () => {
    const member = await w.newPage();
    await signIn(w, member, MEMBER.email, MEMBER.password);
    await member.getByRole("link", { name: "Knowledge", exact: true }).click();
    await member.getByRole("link", { name: XSS }).waitFor();
    const names = await member.getByTestId("dataset-card").getByRole("heading").allInnerTexts();
    expect(names).toEqual([XSS]);
    await member.goto(`${w.base}/knowledge/${privateId}`);
    await member.getByRole("alert").filter({ hasText: "Not found." }).waitFor();
    expect(await member.getByText("Private ledger").count()).toBe(0);
    // No page of this run ever opened a dialog or broke the CSP.
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
  });
});
