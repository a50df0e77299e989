// The shared browser world works: a seeded owner signs in through the real page, and the dialog
// listener catches an alert (so XSS checks built on it can fail).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hasChromium,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
  type BrowserWorld,
} from "./browser-world.ts";

describe.skipIf(!hasChromium)("browser world", { timeout: 90_000 }, () => {
  let w: BrowserWorld;
  beforeAll(async () => {
    w = await startBrowserWorld();
    await seedOwnerWithProvider(w);
  }, 90_000);
  afterAll(() => w?.close());

  it("signs a seeded owner in and catches dialogs", async () => {
    const page = await w.newPage();
    await signIn(w, page);
    await page.getByRole("link", { name: "Model providers" }).click();
    await page.getByTestId("provider").getByText("Local fake").waitFor();
    await page.evaluate("alert('probe')");
    expect(w.dialogs).toEqual(["probe"]);
    expect(w.pageErrors).toEqual([]);
  });
});
