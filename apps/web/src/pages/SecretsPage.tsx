import { type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  type AuditSinkView,
  CreateAuditSinkInput,
  type SecretStatusView,
  type UpdateAuditSinkInput,
} from "@enclave/contracts";
import { del, get, patch, post } from "../api/client.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { ConfirmButton } from "../ui/ConfirmButton.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { formatDate } from "../ui/format.ts";

const SINKS = "/workspaces/current/audit-sinks";

function StatusCard() {
  const { t, locale } = useI18n();
  const status = useQuery({
    queryKey: ["secret-status"],
    queryFn: () => get<SecretStatusView>("/workspaces/current/secret-status"),
  });
  const s = status.data;
  return (
    <section className="card" aria-labelledby="secret-status-title" data-testid="secret-status">
      <h2 id="secret-status-title">{t("secrets.status")}</h2>
      <ErrorBanner error={status.error} />
      {s && (
        <dl className="facts">
          <dt>{t("secrets.kek")}</dt>
          <dd>{t(`secrets.kek.${s.kekProvider}`)}</dd>
          <dt>{t("secrets.signer")}</dt>
          <dd>{t(`secrets.signer.${s.auditSigner}`)}</dd>
          <dt>{t("secrets.stores")}</dt>
          <dd>
            <ul className="plain">
              {(["vault", "aws", "files"] as const).map((store) => (
                <li key={store}>
                  {t(`secrets.store.${store}`)}: {s.stores[store] ? t("secrets.on") : t("secrets.off")}
                </li>
              ))}
            </ul>
          </dd>
          <dt>{t("secrets.encryption")}</dt>
          <dd data-testid="encryption-check" className={s.encryption.ok ? "ok" : "field-error"}>
            {s.encryption.ok
              ? t("secrets.encryptionOk", { time: formatDate(s.encryption.checkedAt, locale) })
              : t("secrets.encryptionBroken")}
          </dd>
          <dt>{t("secrets.references")}</dt>
          <dd data-testid="reference-prefixes">
            {s.referencePrefixes.length === 0 ? (
              t("secrets.referencesNone")
            ) : (
              <ul className="plain">
                {s.referencePrefixes.map((p) => (
                  <li key={p}>
                    <code>{p}</code>
                  </li>
                ))}
              </ul>
            )}
            <small className="hint">
              {t("secrets.cache", { ttl: s.cacheSeconds, grace: s.graceSeconds })}
            </small>
          </dd>
        </dl>
      )}
    </section>
  );
}

function SinkForm({ onDone }: { onDone(): void }) {
  const { t } = useI18n();
  const form = useZodForm(CreateAuditSinkInput);
  const add = useMutation({
    mutationFn: (input: CreateAuditSinkInput) => post<AuditSinkView>(SINKS, input),
    onSuccess: onDone,
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const target = e.currentTarget;
    const v = formValues(target);
    const input = form.validate({
      name: v.name,
      url: v.url,
      format: v.format,
      ...(v.index ? { index: v.index } : {}),
      ...(v.authorization ? { authorization: v.authorization } : {}),
    });
    if (input) add.mutate(input, { onSuccess: () => target.reset() });
  }
  return (
    <form onSubmit={submit} noValidate className="stack-form" data-testid="sink-form">
      <Field label={t("sinks.name")} name="name" error={form.errors.name}>
        {(p) => <input {...p} />}
      </Field>
      <Field label={t("sinks.url")} name="url" error={form.errors.url} hint={t("sinks.urlHint")}>
        {(p) => <input {...p} type="url" spellCheck={false} placeholder="https://siem.example.com/ingest" />}
      </Field>
      <Field label={t("sinks.format")} name="format" error={form.errors.format}>
        {(p) => (
          <select {...p} defaultValue="generic">
            <option value="generic">{t("sinks.format.generic")}</option>
            <option value="elasticsearch">{t("sinks.format.elasticsearch")}</option>
          </select>
        )}
      </Field>
      <Field label={t("sinks.index")} name="index" error={form.errors.index}>
        {(p) => <input {...p} spellCheck={false} />}
      </Field>
      <Field
        label={t("sinks.authorization")}
        name="authorization"
        error={form.errors.authorization}
        hint={t("sinks.authorizationHint")}
      >
        {(p) => <input {...p} type="password" autoComplete="off" spellCheck={false} />}
      </Field>
      <button type="submit" disabled={add.isPending}>
        {t("sinks.add")}
      </button>
      <ErrorBanner error={add.error} />
    </form>
  );
}

function SinksCard() {
  const { t } = useI18n();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ["audit-sinks"], queryFn: () => get<{ data: AuditSinkView[] }>(SINKS) });
  const refresh = () => client.invalidateQueries({ queryKey: ["audit-sinks"] });
  const update = useMutation({
    mutationFn: ({ id, input }: { id: string; input: UpdateAuditSinkInput }) =>
      patch<AuditSinkView>(`${SINKS}/${id}`, input),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`${SINKS}/${id}`), onSuccess: refresh });
  return (
    <section className="card" aria-labelledby="sinks-title">
      <h2 id="sinks-title">{t("sinks.title")}</h2>
      <p>{t("sinks.intro")}</p>
      <SinkForm onDone={() => void refresh()} />
      <ErrorBanner error={list.error ?? update.error ?? remove.error} />
      <table data-testid="audit-sinks">
        <thead>
          <tr>
            <th>{t("sinks.name")}</th>
            <th>{t("sinks.url")}</th>
            <th>{t("sinks.header")}</th>
            <th>{t("sinks.shipped")}</th>
            <th>{t("sinks.enabled")}</th>
            <th>
              <span className="visually-hidden">{t("common.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.data.map((s) => (
            <tr key={s.id} data-testid="audit-sink">
              <td>{s.name}</td>
              <td>
                <code>{s.url}</code> <small>{t(`sinks.format.${s.format}`)}</small>
              </td>
              <td>
                <code>{s.authorization ?? t("sinks.noHeader")}</code>
              </td>
              <td>{s.shippedSeq < 0 ? t("sinks.notYet") : `#${s.shippedSeq}`}</td>
              <td>{s.enabled ? t("secrets.on") : t("secrets.off")}</td>
              <td className="actions">
                <button
                  type="button"
                  className="button-small"
                  onClick={() => update.mutate({ id: s.id, input: { enabled: !s.enabled } })}
                >
                  {s.enabled ? t("sinks.disable") : t("sinks.enable")}
                </button>
                {s.authorization && (
                  <button
                    type="button"
                    className="button-small"
                    onClick={() => update.mutate({ id: s.id, input: { authorization: null } })}
                  >
                    {t("sinks.removeHeader")}
                  </button>
                )}
                <ConfirmButton label={t("common.delete")} onConfirm={() => remove.mutate(s.id)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.data.length === 0 && <p className="empty">{t("sinks.none")}</p>}
    </section>
  );
}

/** Owner/admin: how the workspace's secrets are protected, and its SIEM sinks. */
export function SecretsPage() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t("secrets.title")}</h1>
      <p className="lead">{t("secrets.intro")}</p>
      <StatusCard />
      <SinksCard />
    </div>
  );
}
