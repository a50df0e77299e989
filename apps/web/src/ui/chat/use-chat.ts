import { useCallback, useReducer, useRef } from "react";
import { ApiError } from "../../api/client.ts";
import { readSse } from "../../api/sse.ts";
import { chatReducer, emptyChat, isBusy } from "./chat-state.ts";

/** Where a chat sends its messages: the console's debug endpoint or a web app's `/app-api/…`. */
export interface ChatTransport {
  send(body: Record<string, unknown>, signal: AbortSignal): Promise<Response>;
  stop(taskId: string): Promise<unknown>;
  rate?(messageId: string, rating: "like" | "dislike" | null): Promise<unknown>;
}

let seq = 0;

/** One chat's transcript plus send / stop / rate / restart, streaming answers into the state. */
export function useChat(transport: ChatTransport) {
  const [state, dispatch] = useReducer(chatReducer, emptyChat);
  const abort = useRef<AbortController | null>(null);

  const send = useCallback(
    async (query: string, inputs: Record<string, unknown>) => {
      const key = `t${++seq}`;
      dispatch({ type: "send", key, query });
      const controller = new AbortController();
      abort.current = controller;
      try {
        const res = await transport.send(
          {
            query,
            inputs,
            response_mode: "streaming",
            ...(state.conversationId ? { conversation_id: state.conversationId } : {}),
          },
          controller.signal,
        );
        for await (const event of readSse(res, controller.signal)) dispatch({ type: "event", key, event });
        dispatch({ type: "stopped", key });
      } catch (e) {
        if (controller.signal.aborted) dispatch({ type: "stopped", key });
        else if (e instanceof ApiError) dispatch({ type: "failed", key, code: e.code, message: e.message });
        else dispatch({ type: "failed", key, code: "network_error", message: String(e) });
      }
    },
    [transport, state.conversationId],
  );

  const stop = useCallback(async () => {
    const turn = state.turns.findLast((t) => t.status === "streaming");
    if (!turn) return;
    // Marked at once: the stream's last events (message_end) may still arrive, and keep it stopped.
    dispatch({ type: "stopped", key: turn.key });
    const running = abort.current; // not a turn sent while the stop request is out
    if (turn.taskId) await transport.stop(turn.taskId).catch(() => undefined);
    running?.abort();
  }, [transport, state.turns]);

  const rate = useCallback(
    async (key: string, messageId: string, rating: "like" | "dislike" | null) => {
      await transport.rate?.(messageId, rating);
      dispatch({ type: "rated", key, rating });
    },
    [transport],
  );

  return { state, dispatch, busy: isBusy(state), send, stop, rate };
}
