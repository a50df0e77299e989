// Chat steps several browser tests take: a message in whichever chat is on the page, the debug
// pane's streaming check, and the app's logs as a reader who may or may not see them.
import { expect } from "vitest";
import type { Locator, Page } from "playwright-core";
import type { FakeModelServer } from "../fixtures/fake-model-server.ts";

/** Sends `text` from the chat composer on the page and waits for the answer to finish. */
export async function sendAndWait(page: Page, text: string): Promise<Locator> {
  const before = await page.getByTestId("chat-answer").count();
  const input = page.getByTestId("chat-input");
  await input.fill(text);
  await input.press("Enter");
  const answer = page.getByTestId("chat-answer").nth(before);
  await expect.poll(() => answer.getAttribute("data-status")).toBe("done");
  return answer;
}

/**
 * On an app page whose draft has a model: the Debug tab answers `text` while the fake model streams
 * slowly, and the answer is seen growing (partial, then whole) with its usage line.
 */
export async function debugChatStreams(page: Page, fake: FakeModelServer, text: string): Promise<void> {
  await page.getByRole("tab", { name: "Debug" }).click();
  fake.behave("slow", { delayMs: 150 });
  try {
    const input = page.getByTestId("chat-input");
    await input.fill(text);
    await input.press("Enter");
    const answer = page.getByTestId("chat-answer").last();
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
    const words = text.split(" ");
    expect((await answer.textContent()) ?? "").toContain(`Echo: ${text}`);
    const partial = [...seen].filter((s) => s.includes("Echo:") && !s.includes(words.at(-1)!));
    expect(partial.length).toBeGreaterThan(0);
    expect(await page.getByTestId("chat-usage").textContent()).toMatch(/\d+ tokens · \d+\.\d\d s/);
  } finally {
    fake.behave("echo");
  }
}

/** The app's Logs tab lists a web visitor's conversation (the web app names its users `visitor:…`). */
export async function expectLogsListVisitor(page: Page): Promise<void> {
  await page.getByRole("tab", { name: "Logs", exact: true }).click();
  await page.getByTestId("conversations").waitFor();
  await expect.poll(() => page.getByTestId("conversations").textContent()).toContain("visitor:");
}

/** The app's Logs tab, for a reader the app's policy hides logs from: the reason and no table. */
export async function expectLogsHidden(page: Page, base: string, appId: string): Promise<void> {
  await page.goto(`${base}/apps/${appId}`);
  await page.getByRole("tab", { name: "Logs", exact: true }).click();
  await expect
    .poll(() => page.getByTestId("logs-hidden").textContent())
    .toContain("The creator, admins and the owner");
  expect(await page.getByTestId("conversations").count()).toBe(0);
}
