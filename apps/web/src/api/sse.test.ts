import { describe, expect, it } from "vitest";
import { readSse } from "./sse.ts";

function responseOf(chunks: string[]): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(controller) {
        for (const c of chunks) controller.enqueue(encoder.encode(c));
        controller.close();
      },
    }),
  );
}

describe("readSse", () => {
  it("yields events split across chunks, skipping pings and junk", async () => {
    const res = responseOf([
      'data: {"event":"message","answer":"He',
      'llo"}\n\nevent: ping\n\n',
      ": comment\n\ndata: not json\n\n",
      'data: {"event":"message_end","metadata":{"usage":{"total_tokens":3}}}\r\n\r\n',
      'data: {"event":"message","answer":"tail"}',
    ]);
    const events = [];
    for await (const e of readSse(res)) events.push(e);
    expect(events).toEqual([
      { event: "message", answer: "Hello" },
      { event: "message_end", metadata: { usage: { total_tokens: 3 } } },
      { event: "message", answer: "tail" },
    ]);
  });
});
