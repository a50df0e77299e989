// Per-app generation slots on the real chat path: a second message while the only slot is taken
// gets 429 with Retry-After; the slot comes back when the first ends (also when it fails).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient } from "dify-client";
import { readSse, setupChatWorld, type ChatWorld } from "./chat-world.ts";

describe("max concurrent generations per app", () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await setupChatWorld();
  });
  afterAll(async () => w?.close());

  it("refuses a second generation while the only slot is taken, then serves again", async () => {
    const { token } = await w.createApp({ settings: { maxConcurrentRequests: 1 } });
    const chat = new ChatClient(token, w.apiBase);
    w.fake.behave("slow", { delayMs: 100 });
    const first = await chat.createChatMessage({}, "one two three four", "u1", true);
    const refused = await chat.createChatMessage({}, "second", "u2").catch((e: unknown) => e);
    const res = (refused as { response?: { status: number; headers: Record<string, string>; data: unknown } })
      .response;
    expect(res?.status).toBe(429);
    expect(res?.data).toMatchObject({ code: "too_many_requests", status: 429 });
    expect(Number(res?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    const { events } = await readSse(first.data as AsyncIterable<Buffer>);
    expect(events.at(-1)!.event).toBe("message_end");

    w.fake.behave("error500");
    await chat.createChatMessage({}, "fails", "u1").catch(() => null);
    w.fake.behave("echo");
    const ok = await chat.createChatMessage({}, "after", "u2");
    expect((ok.data as { answer: string }).answer).toBe("Echo: after");
  });
});
