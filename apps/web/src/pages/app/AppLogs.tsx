import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { AppView, ConversationLogView, MessageLogView, Page } from "@enclave/contracts";
import { ApiError, get, query } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { ErrorBanner } from "../../ui/form.tsx";
import { formatDate } from "../../ui/format.ts";

function Messages({ app, conversationId }: { app: AppView; conversationId: string | null }) {
  const { t, locale } = useI18n();
  const messages = useQuery({
    queryKey: ["messages", app.id, conversationId],
    queryFn: () =>
      get<Page<MessageLogView>>(
        `/apps/${app.id}/messages${query({ conversation_id: conversationId, limit: 100 })}`,
      ),
  });
  if (messages.error) return <ErrorBanner error={messages.error} />;
  return (
    <ol className="messages" data-testid="log-messages">
      {messages.data?.data.map((m) => (
        <li key={m.id} className="card">
          <p className="muted">
            {formatDate(m.createdAt, locale)} · {m.endUser} ·{" "}
            {t("app.tokens", { total: m.tokens.total, ms: m.latencyMs ?? 0 })}
          </p>
          {/* Text only: logged questions and answers are user and model content. */}
          <p className="wrap pre">{m.query ?? t("app.notRetained")}</p>
          <p className="wrap pre answer">{m.answer ?? (m.error ? m.error : t("app.notRetained"))}</p>
        </li>
      ))}
    </ol>
  );
}

/** Conversation logs; when the app's policy hides them from the reader, says so and shows nothing. */
export function AppLogs({ app }: { app: AppView }) {
  const { t, locale } = useI18n();
  const [open, setOpen] = useState<string | null>(null);
  const completion = app.mode === "completion";
  const conversations = useQuery({
    queryKey: ["conversations", app.id],
    queryFn: () => get<Page<ConversationLogView>>(`/apps/${app.id}/conversations?limit=50`),
    enabled: !completion,
  });
  if (conversations.error instanceof ApiError && conversations.error.status === 403) {
    return (
      <section className="card" data-testid="logs-hidden">
        <h2>{t("app.logs")}</h2>
        <p>{t("app.logsHidden", { policy: t(`app.visibility.${app.logVisibility}` as MessageKey) })}</p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="logs-title">
      <h2 id="logs-title">{t("app.logs")}</h2>
      <ErrorBanner error={conversations.error} />
      {completion ? (
        <Messages app={app} conversationId={null} />
      ) : (
        <>
          <table data-testid="conversations">
            <thead>
              <tr>
                <th>{t("app.conversation")}</th>
                <th>{t("app.endUser")}</th>
                <th>{t("app.messageCount")}</th>
                <th>{t("app.lastActivity")}</th>
              </tr>
            </thead>
            <tbody>
              {conversations.data?.data.map((c) => (
                <tr key={c.id}>
                  <td>
                    <button type="button" className="button-link" onClick={() => setOpen(c.id)}>
                      {c.name ?? t("app.untitled")}
                    </button>
                  </td>
                  <td className="wrap">{c.endUser}</td>
                  <td>{c.messageCount}</td>
                  <td>{formatDate(c.updatedAt, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {conversations.data?.data.length === 0 && <p className="empty">{t("app.noLogs")}</p>}
          {open && <Messages app={app} conversationId={open} />}
        </>
      )}
    </section>
  );
}
