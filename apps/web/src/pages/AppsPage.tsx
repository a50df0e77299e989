import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useLocation } from "wouter";
import { APP_MODES, type AppView, CreateAppInput } from "@enclave/contracts";
import { get, post } from "../api/client.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useCan } from "../layout/Console.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { formatDate } from "../ui/format.ts";

function CreateApp() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const form = useZodForm(CreateAppInput);
  const create = useMutation({
    mutationFn: (input: CreateAppInput) => post<AppView>("/apps", input),
    onSuccess: async (app) => {
      await client.invalidateQueries({ queryKey: ["apps"] });
      navigate(`/apps/${app.id}`);
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) create.mutate(input);
  }
  return (
    <section className="card" aria-labelledby="create-app">
      <h2 id="create-app">{t("apps.create")}</h2>
      <form onSubmit={submit} noValidate className="row-form">
        <Field label={t("common.name")} name="name" error={form.errors.name}>
          {(p) => <input {...p} />}
        </Field>
        <Field label={t("apps.mode")} name="mode" error={form.errors.mode}>
          {(p) => (
            <select {...p} defaultValue="chat">
              {APP_MODES.map((m) => (
                <option key={m} value={m}>
                  {t(`apps.modes.${m}` as MessageKey)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("apps.description")} name="description" error={form.errors.description}>
          {(p) => <input {...p} />}
        </Field>
        <button type="submit" disabled={create.isPending}>
          {t("apps.createSubmit")}
        </button>
      </form>
      <ErrorBanner error={create.error} />
    </section>
  );
}

export function AppsPage() {
  const { t, locale } = useI18n();
  const canCreate = useCan("app.create");
  const [search, setSearch] = useState("");
  const apps = useQuery({ queryKey: ["apps"], queryFn: () => get<{ data: AppView[] }>("/apps") });
  const needle = search.trim().toLowerCase();
  const rows = (apps.data?.data ?? []).filter(
    (a) => !needle || a.name.toLowerCase().includes(needle) || a.description.toLowerCase().includes(needle),
  );
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t("apps.title")}</h1>
        <label className="search">
          <span className="visually-hidden">{t("apps.search")}</span>
          <input
            type="search"
            placeholder={t("apps.search")}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      </div>
      {canCreate && <CreateApp />}
      <ErrorBanner error={apps.error} />
      <ul className="cards" data-testid="apps">
        {rows.map((a) => (
          <li key={a.id} className="card app-card">
            <h3>
              <Link href={`/apps/${a.id}`}>{a.name}</Link>
            </h3>
            <p className="muted">{a.description}</p>
            <p>
              <span className="badge">{t(`apps.modes.${a.mode}` as MessageKey)}</span>{" "}
              {a.publishedVersion ? (
                <span className="badge badge-ok">
                  {t("apps.publishedVersion", { version: a.publishedVersion.version })}
                </span>
              ) : (
                <span className="badge">{t("apps.draft")}</span>
              )}
            </p>
            <small className="muted">{t("apps.updated", { when: formatDate(a.updatedAt, locale) })}</small>
          </li>
        ))}
      </ul>
      {apps.data && rows.length === 0 && <p className="empty">{t("apps.none")}</p>}
    </div>
  );
}
