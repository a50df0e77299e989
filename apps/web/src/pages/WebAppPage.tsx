// The published web app at /app/<code>, for end users: outside the console layout, talking to
// /app-api/<code>/… with the visit cookie (HttpOnly; nothing is kept in storage).
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useLocation, useParams } from "wouter";
import type { UserInputField } from "@enclave/contracts";
import { ApiError, fetchWithCsrf, postStream, readJson } from "../api/client.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { ErrorBanner } from "../ui/form.tsx";
import { Markdown } from "../ui/Markdown.tsx";
import { LocaleSwitcher, ThemeToggle } from "../ui/Prefs.tsx";
import { newTurn, type Turn } from "../ui/chat/chat-state.ts";
import { ChatView } from "../ui/chat/ChatView.tsx";
import { InputsForm, initialInputs, missingRequired, toInputs } from "../ui/chat/InputsForm.tsx";
import { type ChatTransport, useChat } from "../ui/chat/use-chat.ts";

interface Site {
  code: string;
  title: string;
  description: string;
  icon: string;
  mode: string;
  openingStatement: string;
  suggestedQuestions: string[];
  userInputForm: UserInputField[];
  requireLogin: boolean;
}
interface Conversation {
  id: string;
  name: string;
}
interface StoredMessage {
  id: string;
  query: string;
  answer: string;
  created_at: number;
  feedback: { rating: "like" | "dislike" } | null;
  retriever_resources: Turn["citations"];
}

const json = { "content-type": "application/json" };

/** The web app's API, under /app-api/<code>/. */
function siteApi(code: string) {
  const base = `/app-api/${encodeURIComponent(code)}`;
  const getJson = async <T,>(path: string) =>
    readJson<T>(
      await fetch(`${base}${path}`, { credentials: "same-origin", headers: { accept: "application/json" } }),
    );
  const write = async <T,>(method: string, path: string, body?: unknown) =>
    readJson<T>(
      await fetchWithCsrf(`${base}${path}`, {
        method,
        headers: json,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    );
  return { base, getJson, write };
}

/** Where the login page may send the visitor back to: only a web app page of this origin. */
export function loginPath(code: string): string {
  return `/login?next=${encodeURIComponent(`/app/${code}`)}`;
}

/** Whether this page is inside a frame (an embed); comparing windows works across origins. */
function isFramed(): boolean {
  try {
    return window.self !== window.top;
  } catch {
    return true;
  }
}

export function WebAppPage() {
  const { t } = useI18n();
  const { code = "" } = useParams<{ code: string }>();
  const [, navigate] = useLocation();
  const api = useMemo(() => siteApi(code), [code]);
  const site = useQuery({ queryKey: ["site", code], queryFn: () => api.getJson<Site>("/site") });
  const visit = useQuery({
    queryKey: ["visit", code],
    enabled: Boolean(site.data),
    queryFn: () => api.write<{ started: boolean }>("POST", "/visit", {}),
  });
  const needsLogin =
    visit.error instanceof ApiError && visit.error.status === 401 && Boolean(site.data?.requireLogin);
  // The login page may not be framed (frame-ancestors 'none'): an embed offers it in a new tab.
  const framed = useMemo(isFramed, []);
  useEffect(() => {
    if (needsLogin && !framed) navigate(loginPath(code), { replace: true });
  }, [needsLogin, framed, code, navigate]);
  useEffect(() => {
    if (site.data) document.title = site.data.title;
  }, [site.data]);

  if (needsLogin && framed)
    return (
      <main className="webapp webapp-center">
        <div data-testid="webapp-sign-in">
          <p>{t("webapp.signInFramed")}</p>
          <p>
            <a href={loginPath(code)} target="_blank" rel="noopener noreferrer">
              {t("webapp.signInNewTab")}
            </a>
          </p>
        </div>
      </main>
    );
  if (site.error || (visit.error && !needsLogin))
    return (
      <main className="webapp webapp-center">
        <p role="alert" data-testid="webapp-unavailable">
          {t("webapp.unavailable")}
        </p>
      </main>
    );
  if (!site.data || !visit.data)
    return (
      <main className="webapp webapp-center">
        <p className="loading">{t("common.loading")}</p>
      </main>
    );
  return site.data.mode === "completion" ? (
    <CompletionApp site={site.data} api={api} />
  ) : (
    <ChatApp site={site.data} api={api} />
  );
}

type SiteApi = ReturnType<typeof siteApi>;

function Header({ site, children }: { site: Site; children?: ReactNode }) {
  return (
    <header className="webapp-head">
      {children}
      <span className="webapp-icon" aria-hidden="true">
        {site.icon}
      </span>
      <h1 data-testid="webapp-title">{site.title}</h1>
      <div className="webapp-prefs">
        <LocaleSwitcher />
        <ThemeToggle />
      </div>
    </header>
  );
}

function ChatApp({ site, api }: { site: Site; api: SiteApi }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [menuOpen, setMenuOpen] = useState(false);
  const transport = useMemo<ChatTransport>(
    () => ({
      send: (body, signal) => postStream(`${api.base}/chat-messages`, body, signal),
      stop: (taskId) => api.write("POST", `/chat-messages/${encodeURIComponent(taskId)}/stop`, {}),
      rate: (id, rating) => api.write("POST", `/messages/${encodeURIComponent(id)}/feedbacks`, { rating }),
    }),
    [api],
  );
  const chat = useChat(transport);
  const fields = site.userInputForm;
  const [values, setValues] = useState(() => initialInputs(fields));
  const missing = missingRequired(fields, values);
  const conversations = useQuery({
    queryKey: ["site-conversations", site.code],
    queryFn: () => api.getJson<{ data: Conversation[] }>("/conversations?limit=50"),
  });
  const current = chat.state.conversationId;
  const busy = chat.busy;
  useEffect(() => {
    if (!busy) void client.invalidateQueries({ queryKey: ["site-conversations", site.code] });
  }, [busy, current, client, site.code]);

  const open = async (id: string) => {
    const res = await api.getJson<{ data: StoredMessage[] }>(
      `/messages?conversation_id=${encodeURIComponent(id)}&limit=100`,
    );
    const turns = [...res.data]
      .sort((a, b) => a.created_at - b.created_at)
      .map((m) => ({
        ...newTurn(`m-${m.id}`, m.query),
        answer: m.answer,
        messageId: m.id,
        status: "done" as const,
        citations: m.retriever_resources ?? [],
        rating: m.feedback?.rating ?? null,
      }));
    chat.dispatch({ type: "load", conversationId: id, turns });
    setMenuOpen(false);
  };
  const rename = useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) =>
      api.write("POST", `/conversations/${encodeURIComponent(id)}/name`, { name }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["site-conversations", site.code] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.write("DELETE", `/conversations/${encodeURIComponent(id)}`, {}),
    onSuccess: (_r, id) => {
      if (id === current) chat.dispatch({ type: "reset" });
      return client.invalidateQueries({ queryKey: ["site-conversations", site.code] });
    },
  });

  return (
    <div className={menuOpen ? "webapp webapp-menu-open" : "webapp"}>
      <nav className="webapp-side" aria-label={t("webapp.conversations")} data-testid="webapp-conversations">
        <button
          type="button"
          className="webapp-new"
          data-testid="webapp-new"
          disabled={busy}
          onClick={() => {
            chat.dispatch({ type: "reset" });
            setMenuOpen(false);
          }}
        >
          {t("webapp.newChat")}
        </button>
        <ul>
          {(conversations.data?.data ?? []).map((c) => (
            <ConversationItem
              key={c.id}
              conversation={c}
              active={c.id === current}
              disabled={busy}
              onOpen={() => void open(c.id)}
              onRename={(name) => rename.mutate({ id: c.id, name })}
              onDelete={() => remove.mutate(c.id)}
            />
          ))}
        </ul>
        <ErrorBanner error={rename.error ?? remove.error} />
      </nav>
      <main className="webapp-main">
        <Header site={site}>
          <button
            type="button"
            className="webapp-menu secondary"
            aria-expanded={menuOpen}
            onClick={() => setMenuOpen(!menuOpen)}
          >
            {t("webapp.menu")}
          </button>
        </Header>
        {site.description && (
          <div className="webapp-description">
            <Markdown text={site.description} />
          </div>
        )}
        {!current && <InputsForm fields={fields} values={values} onChange={setValues} />}
        <ChatView
          turns={chat.state.turns}
          busy={busy}
          disabled={missing.length > 0}
          openingStatement={site.openingStatement}
          suggestions={site.suggestedQuestions}
          onSend={(q) => void chat.send(q, toInputs(fields, values))}
          onStop={() => void chat.stop()}
          onRate={(turn, rating) => void chat.rate(turn.key, turn.messageId!, rating)}
        />
      </main>
    </div>
  );
}

function ConversationItem(props: {
  conversation: Conversation;
  active: boolean;
  disabled: boolean;
  onOpen(): void;
  onRename(name: string): void;
  onDelete(): void;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [name, setName] = useState(props.conversation.name);
  const label = props.conversation.name || t("webapp.untitled");
  // Asked in the page, not with window.confirm(): a native dialog blocks an embedding page too.
  if (confirming)
    return (
      <li className="webapp-conv webapp-confirm" data-testid="webapp-delete-confirm">
        <span className="webapp-conv-name">{t("webapp.deleteConfirm", { name: label })}</span>
        <span className="confirm">
          <button
            type="button"
            className="button-small button-danger"
            autoFocus
            onClick={() => {
              setConfirming(false);
              props.onDelete();
            }}
          >
            {t("webapp.delete")}
          </button>
          <button type="button" className="button-small button-ghost" onClick={() => setConfirming(false)}>
            {t("common.cancel")}
          </button>
        </span>
      </li>
    );
  if (editing)
    return (
      <li>
        <form
          className="webapp-rename"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) props.onRename(name.trim());
            setEditing(false);
          }}
        >
          <input
            autoFocus
            value={name}
            maxLength={255}
            aria-label={t("webapp.rename")}
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
          />
          <button type="submit">{t("webapp.save")}</button>
        </form>
      </li>
    );
  return (
    <li className={props.active ? "webapp-conv active" : "webapp-conv"}>
      <button
        type="button"
        className="webapp-conv-open"
        aria-current={props.active}
        disabled={props.disabled}
        onClick={props.onOpen}
      >
        {label}
      </button>
      <button
        type="button"
        className="icon-button"
        title={t("webapp.rename")}
        aria-label={t("webapp.rename")}
        disabled={props.disabled}
        onClick={() => {
          setName(props.conversation.name);
          setEditing(true);
        }}
      >
        ✎
      </button>
      <button
        type="button"
        className="icon-button"
        title={t("webapp.delete")}
        aria-label={t("webapp.delete")}
        disabled={props.disabled}
        onClick={() => setConfirming(true)}
      >
        🗑
      </button>
    </li>
  );
}

function CompletionApp({ site, api }: { site: Site; api: SiteApi }) {
  const { t } = useI18n();
  const transport = useMemo<ChatTransport>(
    () => ({
      send: (body, signal) => {
        const { query: _q, conversation_id: _c, ...rest } = body;
        return postStream(`${api.base}/completion-messages`, rest, signal);
      },
      stop: (taskId) => api.write("POST", `/chat-messages/${encodeURIComponent(taskId)}/stop`, {}),
      rate: (id, rating) => api.write("POST", `/messages/${encodeURIComponent(id)}/feedbacks`, { rating }),
    }),
    [api],
  );
  const chat = useChat(transport);
  const fields = site.userInputForm;
  const [values, setValues] = useState(() => initialInputs(fields));
  const missing = missingRequired(fields, values);
  const result = chat.state.turns.at(-1);
  return (
    <div className="webapp webapp-single">
      <main className="webapp-main">
        <Header site={site} />
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            chat.dispatch({ type: "reset" });
            void chat.send("", toInputs(fields, values));
          }}
        >
          <InputsForm fields={fields} values={values} onChange={setValues} />
          {chat.busy ? (
            <button type="button" className="secondary" onClick={() => void chat.stop()}>
              {t("chat.stop")}
            </button>
          ) : (
            <button type="submit" disabled={missing.length > 0} data-testid="completion-run">
              {t("webapp.run")}
            </button>
          )}
        </form>
        {result && (
          <section className="card" aria-live="polite" data-testid="completion-result">
            <h2>{t("webapp.result")}</h2>
            <Markdown text={result.answer} />
            {result.error && (
              <p className="chat-error" role="alert">
                {t("chat.error", { code: result.error.code, message: result.error.message })}
              </p>
            )}
          </section>
        )}
      </main>
    </div>
  );
}
