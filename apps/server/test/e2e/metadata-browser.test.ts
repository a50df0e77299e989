// Knowledge metadata end to end in headless Chromium: add a custom field on the dataset page, set
// its value on one of two documents, and filter a retrieval test on it so only that document's
// chunk comes back; then the same pages in Japanese with nothing left untranslated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import {
  addTextDocument,
  createDataset,
  createKnowledgeApp,
  type KnowledgeApp,
  settle,
} from "../knowledge/knowledge-world.ts";
import {
  type BrowserWorld,
  hasChromium,
  ROOT,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
} from "./browser-world.ts";
import { checkUntranslated, loadEnglishCatalogue } from "./untranslated.ts";

if (!hasChromium) console.warn("metadata e2e skipped: /usr/bin/chromium is missing");

describe.skipIf(!hasChromium)("knowledge metadata in a real browser", { timeout: 60_000 }, () => {
  let w: BrowserWorld;
  let page: Page;
  let datasetId = "";
  const doc = { north: "", south: "" };

  beforeAll(async () => {
    w = await startBrowserWorld({ createApp: () => createKnowledgeApp() });
    const { owner } = await seedOwnerWithProvider(w);
    datasetId = await createDataset(owner, { name: "Coast", indexingTechnique: "economy" });
    doc.north = await addTextDocument(owner, datasetId, "North log", "The north lighthouse keeper writes.");
    doc.south = await addTextDocument(owner, datasetId, "South log", "The south lighthouse keeper writes.");
    await settle(w.t as KnowledgeApp, [doc.north, doc.south]);
    page = await w.newPage();
    await signIn(w, page);
  }, 60_000);
  afterAll(() => w?.close());

  it("adds a custom field on the dataset page; a bad name is refused in the browser", async () => {
    await page.goto(`${w.base}/knowledge/${datasetId}`);
    const add = page.getByTestId("add-metadata-field");
    await add.getByLabel("Field name").fill("bad name");
    await add.getByRole("button", { name: "Add field" }).click();
    await add.getByText("This does not have the expected format.").waitFor();
    await add.getByLabel("Field name").fill("region");
    await add.getByLabel("Type").selectOption("string");
    await add.getByRole("button", { name: "Add field" }).click();
    const row = page.getByTestId("metadata-field").filter({ hasText: "region" });
    await row.waitFor();
    expect(await row.innerText()).toContain("Text");
    await w.shot(page, "knowledge-metadata-fields-light");
  });

  it("sets the value on one document", async () => {
    await page.getByTestId("document-row").filter({ hasText: "North log" }).getByRole("link").click();
    await page.getByTestId("document-name").filter({ hasText: "North log" }).waitFor();
    const form = page.getByTestId("document-metadata");
    await form.getByLabel("region").fill("north");
    await form.getByRole("button", { name: "Save metadata" }).click();
    await form.getByText("Saved.").waitFor();
    // The saved value is what the server holds, shown again after a reload.
    await page.reload();
    await expect
      .poll(() => page.getByTestId("document-metadata").getByLabel("region").inputValue())
      .toBe("north");
  });

  it("hit testing with a metadata filter returns only that document's chunk", async () => {
    await page.goto(`${w.base}/knowledge/${datasetId}/hit-testing`);
    await page.getByLabel("Query").fill("lighthouse");
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const docs = () => page.getByTestId("hit-document").allInnerTexts();
    await expect.poll(async () => (await docs()).sort()).toEqual(["North log", "South log"]);

    const filter = page.getByTestId("metadata-filter");
    await filter.getByRole("button", { name: "Add condition" }).click();
    const cond = filter.getByTestId("filter-condition");
    expect(await cond.getByLabel("Field", { exact: true }).inputValue()).toBe("region");
    await cond.getByLabel("Operator").selectOption("is");
    // An empty value is caught before anything is sent.
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await cond.getByRole("alert").filter({ hasText: "Enter a value." }).waitFor();
    let sent: unknown = null;
    page.on("request", (r) => {
      if (r.url().endsWith("/hit-testing")) sent = r.postDataJSON();
    });
    await cond.getByLabel("Value").fill("north");
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await expect.poll(docs).toEqual(["North log"]);
    expect(await page.getByTestId("hit-text").innerText()).toContain("north lighthouse");
    expect(sent).toMatchObject({
      retrieval: {
        metadataFilter: {
          logicalOperator: "and",
          conditions: [{ name: "region", comparisonOperator: "is", value: "north" }],
        },
      },
    });

    await cond.getByLabel("Operator").selectOption("not in");
    await cond.getByLabel("Value").fill("north, east");
    await cond.getByLabel("Value").blur();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await expect.poll(docs).toEqual(["South log"]);
    await w.shot(page, "knowledge-metadata-filter-light");
  });

  it("shows the metadata UI in Japanese with no untranslated strings", async () => {
    const cats = await loadEnglishCatalogue(ROOT);
    await page.getByTestId("locale").selectOption("ja");
    await page.getByRole("heading", { name: "検索テスト" }).waitFor();
    const visible = () => page.evaluate(`document.querySelector("main").innerText`) as Promise<string>;
    expect(checkUntranslated(cats, "ja", await visible())).toEqual([]);
    await page.goto(`${w.base}/knowledge/${datasetId}`);
    await page.getByTestId("locale").selectOption("ja");
    await page.getByRole("heading", { name: "メタデータ", exact: true }).waitFor();
    await page.getByTestId("metadata-field").first().scrollIntoViewIfNeeded();
    await w.shot(page, "knowledge-metadata-fields-ja");
    expect(checkUntranslated(cats, "ja", await visible())).toEqual([]);
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
  });
});
