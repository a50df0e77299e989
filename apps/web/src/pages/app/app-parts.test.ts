import { describe, expect, it } from "vitest";
import { barHeights } from "./AppUsage.tsx";
import { changedSettings } from "./AppSettings.tsx";
import { usageSnippets } from "./ApiUsage.tsx";

describe("app page helpers", () => {
  it("scales bars to the largest day and copes with an empty range", () => {
    expect(barHeights([0, 5, 10])).toEqual([0, 50, 100]);
    expect(barHeights([0, 0])).toEqual([0, 0]);
    expect(barHeights([])).toEqual([]);
  });

  it("sends only changed settings, so an editor never touches the log policy by saving", () => {
    const app = {
      enableApi: true,
      enableSite: true,
      logVisibility: "creator_and_admins" as const,
      retainContent: true,
      retentionDays: null,
      apiRpm: null,
      maxApiKeys: 10,
    };
    expect(changedSettings(app, { ...app })).toEqual({});
    expect(changedSettings(app, { ...app, apiRpm: 60, enableSite: false })).toEqual({
      apiRpm: 60,
      enableSite: false,
    });
  });

  it("points the snippets at this server's /v1 and picks the endpoint by mode", () => {
    const chat = usageSnippets("https://enclave.example", { mode: "chat" });
    expect(chat.dify).toContain("https://enclave.example/v1/chat-messages");
    expect(chat.openai).toContain('base_url="https://enclave.example/v1"');
    expect(usageSnippets("https://e.example", { mode: "completion" }).dify).toContain(
      "/v1/completion-messages",
    );
    // The key is read from the environment, never pasted into the page.
    expect(chat.dify).toContain(`-H "Authorization: Bearer $ENCLAVE_API_KEY"`);
  });
});
