import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { type ApiKeyView, type AppView, CreateApiKeyInput, type CreatedApiKey } from "@enclave/contracts";
import { del, get, post } from "../api/client.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useCan } from "../layout/Console.tsx";
import { ConfirmButton } from "../ui/ConfirmButton.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { formatDate } from "../ui/format.ts";
import { ApiUsage } from "./app/ApiUsage.tsx";
import { AppEditor } from "./app/AppEditor.tsx";
import { AppLogs } from "./app/AppLogs.tsx";
import { AppSettings } from "./app/AppSettings.tsx";
import { AppUsage } from "./app/AppUsage.tsx";
import { DebugChat } from "./app/DebugChat.tsx";

const TABS = ["editor", "settings", "api", "logs", "usage"] as const;
type Tab = (typeof TABS)[number];

function ApiKeys({ app }: { app: AppView }) {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const [fresh, setFresh] = useState<CreatedApiKey | null>(null);
  const keys = useQuery({
    queryKey: ["api-keys", app.id],
    queryFn: () => get<{ data: ApiKeyView[] }>(`/apps/${app.id}/api-keys`),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["api-keys", app.id] });
  const form = useZodForm(CreateApiKeyInput);
  const create = useMutation({
    mutationFn: (input: CreateApiKeyInput) => post<CreatedApiKey>(`/apps/${app.id}/api-keys`, input),
    onSuccess: (key) => {
      setFresh(key);
      void refresh();
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const target = e.currentTarget;
    const { name } = formValues(target);
    const input = form.validate(name ? { name } : {});
    if (input) create.mutate(input, { onSuccess: () => target.reset() });
  }
  const revoke = useMutation({
    mutationFn: (id: string) => del(`/apps/${app.id}/api-keys/${id}`),
    onSuccess: refresh,
  });
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">{t("app.apiKeys")}</h2>
      {fresh && (
        <div className="banner banner-ok" role="status">
          <p>{t("app.keyOnce")}</p>
          <input
            readOnly
            value={fresh.token}
            aria-label={t("app.newKey")}
            data-testid="api-key-token"
            onFocus={(e) => e.target.select()}
          />
          <button type="button" className="button-small" onClick={() => setFresh(null)}>
            {t("recovery.saved")}
          </button>
        </div>
      )}
      <table data-testid="api-keys">
        <thead>
          <tr>
            <th>{t("common.name")}</th>
            <th>{t("app.prefix")}</th>
            <th>{t("common.created")}</th>
            <th>{t("app.lastUsed")}</th>
            <th>
              <span className="visually-hidden">{t("common.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.data?.data.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>{formatDate(k.createdAt, locale)}</td>
              <td>{formatDate(k.lastUsedAt, locale)}</td>
              <td>
                <ConfirmButton label={t("app.revokeKey")} onConfirm={() => revoke.mutate(k.id)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBanner error={create.error ?? revoke.error ?? keys.error} />
      <form onSubmit={submit} noValidate className="row-form">
        <Field label={t("app.keyName")} name="name" error={form.errors.name}>
          {(p) => <input {...p} autoComplete="off" />}
        </Field>
        <button type="submit" disabled={create.isPending} data-testid="create-api-key">
          {t("app.createKey")}
        </button>
      </form>
    </section>
  );
}

export function AppDetailPage() {
  const { t, locale } = useI18n();
  const { id = "" } = useParams<{ id: string }>();
  const client = useQueryClient();
  const canEdit = useCan("app.update");
  const [tab, setTab] = useState<Tab | "debug">("editor");
  const app = useQuery({ queryKey: ["app", id], queryFn: () => get<AppView>(`/apps/${id}`) });
  const publish = useMutation({
    mutationFn: () => post<AppView>(`/apps/${id}/publish`),
    onSuccess: (next) => {
      client.setQueryData(["app", id], next);
      void client.invalidateQueries({ queryKey: ["apps"] });
    },
  });
  if (app.error) return <ErrorBanner error={app.error} />;
  if (!app.data) return <p className="loading">{t("common.loading")}</p>;
  const a = app.data;
  return (
    <div className="page">
      <p>
        <Link href="/apps">{t("app.back")}</Link>
      </p>
      <div className="page-head">
        <h1 data-testid="app-name">{a.name}</h1>
        <div className="actions">
          <span className="badge" data-testid="publish-state">
            {a.publishedVersion
              ? t("app.publishedAt", {
                  version: a.publishedVersion.version,
                  when: formatDate(a.publishedVersion.publishedAt, locale),
                })
              : t("apps.draft")}
          </span>
          {canEdit && (
            <button
              type="button"
              onClick={() => publish.mutate()}
              disabled={publish.isPending}
              data-testid="publish"
            >
              {t("app.publish")}
            </button>
          )}
        </div>
      </div>
      <ErrorBanner error={publish.error} />
      <div className="tabs" role="tablist" aria-label={t("app.sections")}>
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={tab === name}
            aria-controls="app-panel"
            className={tab === name ? "tab tab-active" : "tab"}
            onClick={() => setTab(name)}
          >
            {t(`app.tabs.${name}`)}
          </button>
        ))}
        {/* The debug chat pane (with the embed settings): apps/web/src/pages/app/DebugChat.tsx */}
        <button
          type="button"
          role="tab"
          id="tab-debug"
          aria-selected={tab === "debug"}
          aria-controls="app-panel"
          className={tab === "debug" ? "tab tab-active" : "tab"}
          onClick={() => setTab("debug")}
        >
          {t("chat.debug.tab")}
        </button>
      </div>
      <div role="tabpanel" id="app-panel" aria-labelledby={`tab-${tab}`}>
        {tab === "editor" && <AppEditor app={a} canEdit={canEdit} />}
        {tab === "settings" && <AppSettings app={a} canEdit={canEdit} />}
        {tab === "api" && (
          <>
            {canEdit && <ApiKeys app={a} />}
            <ApiUsage app={a} />
          </>
        )}
        {tab === "logs" && <AppLogs app={a} />}
        {tab === "usage" && <AppUsage app={a} />}
        {tab === "debug" && <DebugChat app={a} canEdit={canEdit} />}
      </div>
    </div>
  );
}
