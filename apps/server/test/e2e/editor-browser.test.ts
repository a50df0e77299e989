// The app editor in a real browser: an input form with a select, a prompt using its variables,
// model parameters, opening statement and suggestions survive save and reload; a bad variable name
// is refused in the page and nothing reaches the server; two publishes list two versions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppView } from "@enclave/contracts";
import type { ConsoleClient } from "../console-client.ts";
import {
  FAKE_MODEL,
  hasChromium,
  OWNER,
  seedOwnerWithProvider,
  signIn,
  startBrowserWorld,
  type BrowserWorld,
} from "./browser-world.ts";

describe.skipIf(!hasChromium)("app editor in a real browser", { timeout: 90_000 }, () => {
  let w: BrowserWorld;
  let owner: ConsoleClient;
  let appId = "";
  beforeAll(async () => {
    w = await startBrowserWorld();
    ({ owner } = await seedOwnerWithProvider(w));
    const res = await owner.post("/console/api/apps", { name: "Trip planner", mode: "chat" });
    appId = (res.json() as AppView).id;
  }, 90_000);
  afterAll(() => w?.close());

  const draft = async () => ((await owner.get(`/console/api/apps/${appId}`)).json() as AppView).config;

  it("builds, saves, reloads and publishes an app; a bad variable name is refused", async () => {
    const page = await w.newPage();
    await signIn(w, page);
    await page.goto(`${w.base}/apps/${appId}`);
    const fields = page.getByTestId("form-field");

    // A bad variable name: the schema's message shows beside the field and nothing is saved.
    await page.getByRole("button", { name: "Add field" }).click();
    await fields.nth(0).getByLabel("Variable name").fill("1city");
    await page.getByTestId("unsaved").waitFor();
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Use letters, digits and _ only").waitFor();
    expect(await fields.nth(0).getByLabel("Variable name").getAttribute("aria-invalid")).toBe("true");
    expect((await draft()).userInputForm).toEqual([]);

    await fields.nth(0).getByLabel("Variable name").fill("city");
    // Checked live after the first attempt: the fixed field clears.
    expect(await page.getByTestId("editor-invalid").count()).toBe(0);
    await fields.nth(0).getByLabel("Label").fill("City");
    await fields.nth(0).getByLabel("Required").check();
    await page.getByRole("button", { name: "Add field" }).click();
    await fields.nth(1).getByLabel("Field type").selectOption("select");
    await fields.nth(1).getByLabel("Label").fill("Tone");
    await fields.nth(1).getByLabel("Variable name").fill("tone");
    await fields.nth(1).getByLabel("Options (one per line)").fill("dry\nwarm");
    await fields.nth(1).getByLabel("Default value").fill("warm");

    // A prompt variable the form lacks is offered; added, then moved above the select.
    await page
      .getByLabel("Instructions (system prompt)")
      .fill("Plan {{days}} days in {{city}}, {{ tone }} tone.");
    await page.getByRole("button", { name: "Add days to the form" }).click();
    expect(await fields.count()).toBe(3);
    await page.getByRole("button", { name: "Move field 3 up" }).click();
    expect(await fields.nth(1).getByLabel("Variable name").inputValue()).toBe("days");
    expect(await page.getByTestId("prompt-variables").textContent()).not.toContain("not in the form");

    await page.getByLabel("Model provider").selectOption({ label: "Local fake" });
    expect(await page.getByLabel("Model", { exact: true }).inputValue()).toBe(FAKE_MODEL);
    await page.getByLabel("Temperature (0–2)").fill("0.3");
    await page.getByLabel("Max tokens").fill("256");
    await page.getByLabel("Opening statement").fill("Where shall we go?");
    await page.getByRole("button", { name: "Add question" }).click();
    await page.getByLabel("Suggested question 1").fill("A weekend in Kyoto?");
    await page.getByRole("button", { name: "Add question" }).click();
    await page.getByLabel("Suggested question 2").fill("Somewhere warm?");
    await page.getByLabel("Memory: earlier exchanges sent to the model (0–100)").fill("4");
    await page.evaluate("window.scrollTo(0, 0)");
    await w.shot(page, "editor-light");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Saved.").waitFor();
    expect(await page.getByTestId("unsaved").count()).toBe(0);

    await page.reload();
    await page.getByLabel("Instructions (system prompt)").waitFor();
    expect(await page.getByLabel("Instructions (system prompt)").inputValue()).toBe(
      "Plan {{days}} days in {{city}}, {{ tone }} tone.",
    );
    const variables = await fields.evaluateAll((els) =>
      els.map((el) => (el.querySelectorAll("input")[1] as unknown as { value: string }).value),
    );
    expect(variables).toEqual(["city", "days", "tone"]);
    expect(await fields.nth(2).getByLabel("Options (one per line)").inputValue()).toBe("dry\nwarm");
    expect(await page.getByLabel("Temperature (0–2)").inputValue()).toBe("0.3");
    expect(await page.getByLabel("Suggested question 2").inputValue()).toBe("Somewhere warm?");
    expect(await draft()).toMatchObject({
      model: { name: FAKE_MODEL, parameters: { temperature: 0.3, max_tokens: 256 } },
      userInputForm: [
        { "text-input": { variable: "city", label: "City", required: true } },
        { "text-input": { variable: "days" } },
        { select: { variable: "tone", options: ["dry", "warm"], default: "warm" } },
      ],
      openingStatement: "Where shall we go?",
      suggestedQuestions: ["A weekend in Kyoto?", "Somewhere warm?"],
      memoryWindow: 4,
    });

    await page.getByTestId("publish").click();
    await expect.poll(() => page.getByTestId("publish-state").textContent()).toContain("Version 1");
    const prompt = page.getByLabel("Instructions (system prompt)");
    const v1Prompt = "Plan {{days}} days in {{city}}, {{ tone }} tone.";
    await prompt.fill("Plan {{days}} days in {{city}}.");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Saved.").waitFor();
    await page.getByTestId("publish").click();
    await expect.poll(() => page.getByTestId("publish-state").textContent()).toContain("Version 2");
    await expect.poll(() => page.getByTestId("version").count()).toBe(2);
    const rows = await page.getByTestId("version").allTextContents();
    expect(rows[0]).toContain("v2");
    expect(rows[1]).toContain("v1");
    for (const row of rows) expect(row).toContain(OWNER.name);

    // Version 1 back into the draft, over unsaved edits (after a confirm); v2 is still served.
    await prompt.fill("scratch that");
    const v1 = page.getByTestId("version").filter({ hasText: /^v1\b/ });
    await v1.getByRole("button", { name: "Restore to draft" }).click();
    await v1.getByRole("button", { name: "Confirm" }).click();
    await page.getByTestId("version-restored").waitFor();
    expect(await prompt.inputValue()).toBe(v1Prompt);
    expect(await page.getByTestId("unsaved").count()).toBe(0);
    expect((await draft()).prePrompt).toBe(v1Prompt);
    expect(await page.getByTestId("publish-state").textContent()).toContain("Version 2");

    await page.getByTestId("theme").click();
    await page.evaluate("window.scrollTo(0, 0)");
    await w.shot(page, "editor-dark");
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
  });

  it("edits a model provider: renamed, key kept when left empty, only its mask ever shown", async () => {
    const page = await w.newPage();
    await signIn(w, page);
    await page.getByRole("link", { name: "Model providers" }).click();
    const card = page.getByTestId("provider").filter({ hasText: "Local fake" });
    await card.getByRole("button", { name: "Edit" }).click();
    const edit = card.getByTestId("provider-edit");
    expect(await edit.getByLabel("API key").inputValue()).toBe("");
    expect(await edit.textContent()).toMatch(/keep the current value \(sk-/);
    await edit.getByLabel("Name", { exact: true }).fill("Local renamed");
    await edit.getByLabel("Models").fill(`${FAKE_MODEL}\nembed-8 text-embedding\nspare-model`);
    await edit.getByRole("button", { name: "Save provider" }).click();
    await page.getByTestId("provider").getByText("Local renamed").waitFor();
    expect(await page.content()).not.toContain("sk-e2e-canary-0123456789");
    const [provider] = (
      (await owner.get("/console/api/workspaces/current/model-providers")).json() as {
        data: { id: string; name: string; models: { name: string; type: string }[] }[];
      }
    ).data;
    expect(provider!.models.map((m) => `${m.name}:${m.type}`)).toEqual([
      `${FAKE_MODEL}:llm`,
      "embed-8:text-embedding",
      "spare-model:llm",
    ]);
    // The stored key still works: it was kept, not blanked.
    const test = await owner.post(`/console/api/workspaces/current/model-providers/${provider!.id}/test`, {});
    expect(test.json()).toMatchObject({ ok: true });
  });
});
