import { describe, expect, it } from "vitest";
import { chatReducer, emptyChat, formatPrice, isBusy, type ChatState } from "./chat-state.ts";

const ev = (event: Record<string, unknown> & { event: string }) => ({
  type: "event" as const,
  key: "k",
  event,
});
const ids = { conversation_id: "c1", message_id: "m1", task_id: "t1" };

function run(...actions: Parameters<typeof chatReducer>[1][]): ChatState {
  return actions.reduce(chatReducer, chatReducer(emptyChat, { type: "send", key: "k", query: "hi" }));
}

describe("chat reducer", () => {
  it("grows the answer with each message delta and keeps the ids", () => {
    let s = run(ev({ event: "message", answer: "Hel", ...ids }));
    expect(s.turns[0]).toMatchObject({ answer: "Hel", status: "streaming", messageId: "m1", taskId: "t1" });
    expect(isBusy(s)).toBe(true);
    s = chatReducer(s, ev({ event: "agent_message", answer: "lo", ...ids }));
    expect(s.turns[0]!.answer).toBe("Hello");
    expect(s.conversationId).toBe("c1");
  });

  it("message_end finishes the turn with usage and citations", () => {
    const usage = { total_tokens: 12, total_price: "0.0000240", currency: "USD", latency: 0.42 };
    const cite = { dataset_name: "Handbook", document_name: "a.md", score: 0.81, content: "x" };
    const s = run(
      ev({ event: "message", answer: "A", ...ids }),
      ev({ event: "message_end", ...ids, metadata: { usage, retriever_resources: [cite] } }),
    );
    expect(s.turns[0]).toMatchObject({ status: "done", usage, citations: [cite] });
    expect(isBusy(s)).toBe(false);
    expect(formatPrice(s.turns[0]!.usage!)).toBe("0.0000240 USD");
  });

  it("an error event ends the turn with its code, keeping what had arrived", () => {
    const s = run(
      ev({ event: "message", answer: "par", ...ids }),
      ev({ event: "error", ...ids, status: 504, code: "model_timeout", message: "the model did not answer" }),
    );
    expect(s.turns[0]).toMatchObject({
      status: "error",
      answer: "par",
      error: { code: "model_timeout", message: "the model did not answer" },
    });
  });

  it("agent thoughts are kept in order, a repeated position replaces the earlier one", () => {
    const s = run(
      ev({ event: "agent_thought", position: 2, thought: "b", tool: "", tool_input: "", observation: "" }),
      ev({
        event: "agent_thought",
        position: 1,
        thought: "a",
        tool: "current_time",
        tool_input: "{}",
        observation: "",
      }),
      ev({
        event: "agent_thought",
        position: 1,
        thought: "a",
        tool: "current_time",
        tool_input: "{}",
        observation: "12:00",
      }),
    );
    expect(s.turns[0]!.thoughts.map((t) => [t.position, t.observation])).toEqual([
      [1, "12:00"],
      [2, ""],
    ]);
  });

  it("stop only ends a streaming turn; reset forgets the conversation", () => {
    let s = run(ev({ event: "message", answer: "x", ...ids }), { type: "stopped", key: "k" });
    expect(s.turns[0]!.status).toBe("stopped");
    s = chatReducer(s, ev({ event: "message_end", ...ids, metadata: {} }));
    expect(s.turns[0]!.status).toBe("stopped");
    expect(chatReducer(s, { type: "reset" })).toEqual(emptyChat);
  });

  it("ignores unknown events and events of other turns", () => {
    const s = run(ev({ event: "ping" }), {
      type: "event",
      key: "other",
      event: { event: "message", answer: "zz" },
    });
    expect(s.turns[0]!.answer).toBe("");
    expect(formatPrice({ total_price: "0", currency: "USD" } as never)).toBeNull();
  });
});
