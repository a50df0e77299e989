// The state of one chat transcript and how Dify stream events change it. Pure: the hook and the
// components only dispatch; tests drive this alone.
import type { MessageUsage, RetrieverResource } from "@enclave/contracts";

export interface Thought {
  position: number;
  thought: string;
  tool: string;
  toolInput: string;
  observation: string;
}

export interface Turn {
  /** Local key; the server's message id arrives with the first event. */
  key: string;
  query: string;
  answer: string;
  messageId: string | null;
  taskId: string | null;
  status: "streaming" | "done" | "stopped" | "error";
  thoughts: Thought[];
  citations: RetrieverResource[];
  usage: MessageUsage | null;
  error: { code: string; message: string } | null;
  rating: "like" | "dislike" | null;
}

export interface ChatState {
  conversationId: string | null;
  turns: Turn[];
}

export const emptyChat: ChatState = { conversationId: null, turns: [] };

export type ChatAction =
  | { type: "send"; key: string; query: string }
  | { type: "event"; key: string; event: { event: string; [field: string]: unknown } }
  | { type: "failed"; key: string; code: string; message: string }
  | { type: "stopped"; key: string }
  | { type: "rated"; key: string; rating: "like" | "dislike" | null }
  | { type: "load"; conversationId: string; turns: Turn[] }
  | { type: "reset" };

const str = (v: unknown) => (typeof v === "string" ? v : "");

export function newTurn(key: string, query: string): Turn {
  return {
    key,
    query,
    answer: "",
    messageId: null,
    taskId: null,
    status: "streaming",
    thoughts: [],
    citations: [],
    usage: null,
    error: null,
    rating: null,
  };
}

function applyEvent(turn: Turn, e: { event: string; [field: string]: unknown }): Turn {
  const ids = {
    messageId: str(e.message_id) || turn.messageId,
    taskId: str(e.task_id) || turn.taskId,
  };
  switch (e.event) {
    case "message":
    case "agent_message":
      return { ...turn, ...ids, answer: turn.answer + str(e.answer) };
    case "message_replace":
      return { ...turn, ...ids, answer: str(e.answer) };
    case "agent_thought": {
      const thought: Thought = {
        position: typeof e.position === "number" ? e.position : turn.thoughts.length + 1,
        thought: str(e.thought),
        tool: str(e.tool),
        toolInput: str(e.tool_input),
        observation: str(e.observation),
      };
      const others = turn.thoughts.filter((t) => t.position !== thought.position);
      return { ...turn, ...ids, thoughts: [...others, thought].sort((a, b) => a.position - b.position) };
    }
    case "message_end": {
      const meta = (e.metadata ?? {}) as { usage?: MessageUsage; retriever_resources?: RetrieverResource[] };
      return {
        ...turn,
        ...ids,
        status: turn.status === "streaming" ? "done" : turn.status,
        usage: meta.usage ?? null,
        citations: Array.isArray(meta.retriever_resources) ? meta.retriever_resources : [],
      };
    }
    case "error":
      return {
        ...turn,
        ...ids,
        status: "error",
        error: { code: str(e.code) || "internal_error", message: str(e.message) },
      };
    default:
      return turn;
  }
}

function updateTurn(state: ChatState, key: string, f: (t: Turn) => Turn): ChatState {
  return { ...state, turns: state.turns.map((t) => (t.key === key ? f(t) : t)) };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "send":
      return { ...state, turns: [...state.turns, newTurn(action.key, action.query)] };
    case "event": {
      const conversationId = str(action.event.conversation_id) || state.conversationId;
      return { ...updateTurn(state, action.key, (t) => applyEvent(t, action.event)), conversationId };
    }
    case "failed":
      return updateTurn(state, action.key, (t) => ({
        ...t,
        status: "error",
        error: { code: action.code, message: action.message },
      }));
    case "stopped":
      return updateTurn(state, action.key, (t) =>
        t.status === "streaming" ? { ...t, status: "stopped" } : t,
      );
    case "rated":
      return updateTurn(state, action.key, (t) => ({ ...t, rating: action.rating }));
    case "load":
      return { conversationId: action.conversationId, turns: action.turns };
    case "reset":
      return emptyChat;
  }
}

/** Whether an answer is still arriving (the composer sends nothing meanwhile). */
export const isBusy = (state: ChatState) => state.turns.some((t) => t.status === "streaming");

/** `$0.000123` style price, or null when the model has no price. */
export function formatPrice(usage: MessageUsage): string | null {
  const n = Number(usage.total_price);
  if (!Number.isFinite(n) || n === 0) return null;
  return `${n.toPrecision(3)} ${usage.currency}`;
}
