// The Secrets & SIEM page in a real browser: the deployment's secret handling as the workspace sees
// it, and a SIEM sink whose Authorization header is write-only (masked, never back in the page).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hasChromium,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
  type BrowserWorld,
} from "./browser-world.ts";

describe.skipIf(!hasChromium)("secrets and SIEM sinks page", { timeout: 90_000 }, () => {
  let w: BrowserWorld;
  beforeAll(async () => {
    w = await startBrowserWorld();
    await seedOwnerWithProvider(w);
  }, 90_000);
  afterAll(() => w?.close());

  it("shows the encryption check and adds a sink whose header is only ever masked", async () => {
    const page = await w.newPage();
    await signIn(w, page);
    await page.getByRole("link", { name: "Secrets & SIEM" }).click();
    await page.getByRole("heading", { name: "Secrets and audit shipping" }).waitFor();
    await expect.poll(() => page.getByTestId("encryption-check").textContent()).toContain("data key works");
    expect(await page.getByTestId("reference-prefixes").textContent()).toContain("literal secrets only");

    const form = page.getByTestId("sink-form");
    await form.getByLabel("Name").fill("SOC <img src=x onerror=alert(1)>");
    await form.getByLabel("Endpoint URL").fill("not a url");
    await form.getByRole("button", { name: "Add sink" }).click();
    await form.locator(".field-error").first().waitFor();
    expect(await page.getByTestId("audit-sink").count()).toBe(0);
    await form.getByLabel("Endpoint URL").fill("https://siem.example.com/ingest");
    await form.getByLabel("Authorization header").fill("Bearer e2e-sink-canary-123456");
    await form.getByRole("button", { name: "Add sink" }).click();
    const row = page.getByTestId("audit-sink");
    await row.getByText("SOC <img src=x onerror=alert(1)>").waitFor();
    expect(await row.locator("code").nth(1).textContent()).toMatch(/^Bearer…56$|…/);
    expect(await page.content()).not.toContain("e2e-sink-canary-123456");

    // A reference is refused here: this deployment lists no prefixes.
    await form.getByLabel("Name").fill("ref");
    await form.getByLabel("Endpoint URL").fill("https://siem.example.com/ingest");
    await form.getByLabel("Authorization header").fill("vault:secret/data/enclave/app#secret_key");
    await form.getByRole("button", { name: "Add sink" }).click();
    await page.getByText("That secret-store reference is not allowed").waitFor();

    await row.getByRole("button", { name: "Disable" }).click();
    await row.getByRole("button", { name: "Enable" }).waitFor();
    await w.shot(page, "secrets-light");
    expect(w.dialogs).toEqual([]);
    expect(await page.locator("img").count()).toBe(0);
    expect(w.pageErrors).toEqual([]);
  });

  it("the world's dialog listener does catch an alert (so the checks above can fail)", async () => {
    const page = await w.newPage();
    await page.goto(`${w.base}/login`);
    await page.evaluate("alert('probe')");
    expect(w.dialogs).toEqual(["probe"]);
  });
});
