// One chat UI for the console's debug pane and the published web app: transcript, streaming
// answer, agent thoughts, citations, usage, feedback and the composer. Every model answer and
// user-supplied text goes through <Markdown> (raw HTML as text, safe links only).
import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { useI18n } from "../../i18n/i18n.tsx";
import { Markdown } from "../Markdown.tsx";
import { formatPrice, type Turn } from "./chat-state.ts";

export interface ChatViewProps {
  turns: Turn[];
  busy: boolean;
  /** Sending is blocked (e.g. required inputs are empty). */
  disabled?: boolean;
  openingStatement?: string;
  suggestions?: string[];
  onSend(query: string): void;
  onStop(): void;
  onRate?: (turn: Turn, rating: "like" | "dislike" | null) => void;
  /** Shown after the answer: tokens, latency and price (the debug pane). */
  showUsage?: boolean;
}

export function ChatView(props: ChatViewProps) {
  const { t } = useI18n();
  const end = useRef<HTMLDivElement>(null);
  const last = props.turns.at(-1);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [props.turns.length, last?.answer]);
  return (
    <div className="chat">
      <div className="chat-log" data-testid="chat-log" aria-live="polite" aria-busy={props.busy}>
        {props.openingStatement && (
          <div className="chat-bubble chat-answer" data-testid="opening-statement">
            <Markdown text={props.openingStatement} />
          </div>
        )}
        {props.turns.length === 0 && props.suggestions && props.suggestions.length > 0 && (
          <div className="chat-suggestions" aria-label={t("chat.suggested")}>
            {props.suggestions.map((q) => (
              <button
                key={q}
                type="button"
                className="chip"
                disabled={props.busy || props.disabled}
                onClick={() => props.onSend(q)}
              >
                {q}
              </button>
            ))}
          </div>
        )}
        {props.turns.map((turn) => (
          <TurnView key={turn.key} turn={turn} showUsage={props.showUsage ?? false} onRate={props.onRate} />
        ))}
        <div ref={end} />
      </div>
      <Composer
        busy={props.busy}
        disabled={props.disabled ?? false}
        onSend={props.onSend}
        onStop={props.onStop}
      />
    </div>
  );
}

function TurnView({
  turn,
  showUsage,
  onRate,
}: {
  turn: Turn;
  showUsage: boolean;
  onRate: ChatViewProps["onRate"];
}) {
  const { t } = useI18n();
  return (
    <>
      <div className="chat-bubble chat-query" data-testid="chat-query">
        <span className="sr-only">{t("chat.you")}: </span>
        <Markdown text={turn.query} />
      </div>
      <div className="chat-bubble chat-answer" data-testid="chat-answer" data-status={turn.status}>
        <span className="sr-only">{t("chat.assistant")}: </span>
        {turn.thoughts.length > 0 && (
          <details className="chat-thoughts">
            <summary>{t("chat.thoughts", { count: turn.thoughts.length })}</summary>
            <ol>
              {turn.thoughts.map((th) => (
                <li key={th.position}>
                  {th.tool && <code>{th.tool}</code>} {th.thought}
                  {th.observation && <pre className="chat-observation">{th.observation}</pre>}
                </li>
              ))}
            </ol>
          </details>
        )}
        {turn.answer ? (
          <Markdown text={turn.answer} />
        ) : (
          turn.status === "streaming" && <span className="chat-typing">{t("chat.thinking")}</span>
        )}
        {turn.status === "stopped" && <p className="chat-note">{t("chat.stopped")}</p>}
        {turn.error && (
          <p className="chat-error" role="alert" data-testid="chat-error">
            {t("chat.error", { code: turn.error.code, message: turn.error.message })}
          </p>
        )}
        {turn.citations.length > 0 && (
          <details className="chat-citations" data-testid="citations">
            <summary>{t("chat.citations", { count: turn.citations.length })}</summary>
            <ol>
              {turn.citations.map((c, i) => (
                <li key={`${c.segment_id}-${i}`}>
                  <strong>{c.document_name}</strong> · {c.dataset_name} ·{" "}
                  {t("chat.score", { score: c.score.toFixed(2) })}
                  <blockquote>{c.content.slice(0, 400)}</blockquote>
                </li>
              ))}
            </ol>
          </details>
        )}
        <div className="chat-meta">
          {showUsage && turn.usage && (
            <span data-testid="chat-usage">
              {t("chat.usage", {
                tokens: turn.usage.total_tokens,
                latency: turn.usage.latency.toFixed(2),
              })}
              {formatPrice(turn.usage) && ` · ${formatPrice(turn.usage)}`}
            </span>
          )}
          {onRate && turn.messageId && turn.status === "done" && (
            <span className="chat-rate">
              {(["like", "dislike"] as const).map((r) => (
                <button
                  key={r}
                  type="button"
                  className={turn.rating === r ? "icon-button active" : "icon-button"}
                  aria-pressed={turn.rating === r}
                  aria-label={t(r === "like" ? "chat.like" : "chat.dislike")}
                  title={t(r === "like" ? "chat.like" : "chat.dislike")}
                  onClick={() => onRate(turn, turn.rating === r ? null : r)}
                >
                  {r === "like" ? "👍" : "👎"}
                </button>
              ))}
            </span>
          )}
        </div>
      </div>
    </>
  );
}

/** Enter sends, Shift+Enter adds a line; focus stays in the box after sending. */
export function Composer({
  busy,
  disabled,
  onSend,
  onStop,
}: {
  busy: boolean;
  disabled: boolean;
  onSend(q: string): void;
  onStop(): void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  const submit = () => {
    const q = text.trim();
    if (!q || busy || disabled) return;
    onSend(q);
    setText("");
    box.current?.focus();
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };
  return (
    <form
      className="chat-composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={box}
        rows={2}
        value={text}
        maxLength={10_000}
        aria-label={t("chat.placeholder")}
        placeholder={t("chat.placeholder")}
        data-testid="chat-input"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
      />
      {busy ? (
        <button type="button" className="secondary" onClick={onStop} data-testid="chat-stop">
          {t("chat.stop")}
        </button>
      ) : (
        <button type="submit" disabled={disabled || !text.trim()} data-testid="chat-send">
          {t("chat.send")}
        </button>
      )}
    </form>
  );
}
