import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  CreateModelProviderInput,
  MODEL_PROVIDER_KINDS,
  type ModelProviderKind,
  type ModelProviderView,
} from "@enclave/contracts";
import { del, get, post } from "../api/client.ts";
import type { ProviderTestResult } from "../api/types.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useT } from "../i18n/i18n.tsx";
import { useCan } from "../layout/Console.tsx";
import { ConfirmButton } from "../ui/ConfirmButton.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { ProviderEdit } from "./ProviderEdit.tsx";

// Which inputs each kind takes, beside name and models (see docs/api/console-models.md).
const FIELDS: Record<ModelProviderKind, string[]> = {
  openai: ["apiKey", "baseUrl", "organization"],
  azure_openai: ["baseUrl", "apiKey", "apiVersion"],
  anthropic: ["apiKey", "baseUrl"],
  openai_compatible: ["baseUrl", "apiKey"],
  bedrock: ["region", "accessKeyId", "secretAccessKey", "sessionToken", "baseUrl"],
};
const SECRET = new Set(["apiKey", "accessKeyId", "secretAccessKey", "sessionToken"]);

function toInput(kind: ModelProviderKind, values: Record<string, string>) {
  const out: Record<string, unknown> = { kind, name: values.name ?? "" };
  for (const f of FIELDS[kind]) if (values[f]) out[f] = values[f];
  out.models = (values.models ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .map((name) => ({ name }));
  return out;
}

function AddProvider() {
  const t = useT();
  const client = useQueryClient();
  const [kind, setKind] = useState<ModelProviderKind>("openai_compatible");
  const form = useZodForm(CreateModelProviderInput);
  const create = useMutation({
    mutationFn: (input: CreateModelProviderInput) =>
      post<ModelProviderView>("/workspaces/current/model-providers", input),
    onSuccess: () => client.invalidateQueries({ queryKey: ["providers"] }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const target = e.currentTarget;
    const values = formValues(target);
    // The contracts schema's URL refinement throws on a non-URL instead of reporting it.
    if (values.baseUrl && !URL.canParse(values.baseUrl)) return form.setErrors({ baseUrl: "validation.url" });
    const input = form.validate(toInput(kind, values));
    if (input) create.mutate(input, { onSuccess: () => target.reset() });
  }
  return (
    <section className="card" aria-labelledby="add-provider">
      <h2 id="add-provider">{t("providers.add")}</h2>
      <form onSubmit={submit} noValidate>
        <Field label={t("providers.kind")} name="kind">
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setKind(e.target.value as ModelProviderKind)}>
              {MODEL_PROVIDER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`providers.kinds.${k}` as MessageKey)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("common.name")} name="name" error={form.errors.name}>
          {(p) => <input {...p} />}
        </Field>
        {FIELDS[kind].map((f) => (
          <Field
            key={`${kind}-${f}`}
            label={t(`providers.fields.${f}` as MessageKey)}
            name={f}
            error={form.errors[f]}
          >
            {(p) => (
              <input
                {...p}
                type={SECRET.has(f) ? "password" : "text"}
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
        ))}
        <Field
          label={t("providers.models")}
          name="models"
          error={form.errors.models}
          hint={t("providers.modelsHint")}
        >
          {(p) => <input {...p} spellCheck={false} />}
        </Field>
        <ErrorBanner error={create.error} />
        <button type="submit" disabled={create.isPending}>
          {t("providers.create")}
        </button>
      </form>
    </section>
  );
}

function ProviderCard({ provider, canManage }: { provider: ModelProviderView; canManage: boolean }) {
  const t = useT();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const test = useMutation({
    mutationFn: () => post<ProviderTestResult>(`/workspaces/current/model-providers/${provider.id}/test`, {}),
  });
  const remove = useMutation({
    mutationFn: () => del(`/workspaces/current/model-providers/${provider.id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ["providers"] }),
  });
  return (
    <li className="card provider" data-testid="provider">
      <h3>{provider.name}</h3>
      <dl className="facts">
        <dt>{t("providers.kind")}</dt>
        <dd>{t(`providers.kinds.${provider.kind}` as MessageKey)}</dd>
        <dt>{t("providers.fields.baseUrl")}</dt>
        <dd className="wrap">{provider.baseUrl ?? "—"}</dd>
        {Object.entries(provider.credentials).map(([k, mask]) => (
          <div key={k} className="fact">
            <dt>{t(`providers.fields.${k}` as MessageKey)}</dt>
            <dd>
              <code>{mask}</code>
            </dd>
          </div>
        ))}
        <dt>{t("providers.models")}</dt>
        <dd>{provider.models.map((m) => m.name).join(", ") || t("providers.anyModel")}</dd>
      </dl>
      {canManage && editing && (
        <ProviderEdit
          provider={provider}
          fields={FIELDS[provider.kind]}
          secret={SECRET}
          onDone={() => setEditing(false)}
        />
      )}
      {canManage && !editing && (
        <div className="actions">
          <button type="button" className="button-secondary button-small" onClick={() => setEditing(true)}>
            {t("editor.providers.edit")}
          </button>
          <button
            type="button"
            className="button-secondary button-small"
            onClick={() => test.mutate()}
            disabled={test.isPending}
          >
            {t("providers.test")}
          </button>
          <ConfirmButton label={t("common.delete")} onConfirm={() => remove.mutate()} />
        </div>
      )}
      {test.data && (
        <p
          className={test.data.ok ? "banner banner-ok" : "banner banner-error"}
          role="status"
          data-testid="provider-test"
        >
          {test.data.ok
            ? t("providers.testOk", { model: test.data.model, ms: test.data.latencyMs })
            : t("providers.testFailed", { code: test.data.error?.code ?? "" })}
        </p>
      )}
      <ErrorBanner error={test.error ?? remove.error} />
    </li>
  );
}

export function ProvidersPage() {
  const t = useT();
  const canManage = useCan("model_provider.manage");
  const providers = useQuery({
    queryKey: ["providers"],
    queryFn: () => get<{ data: ModelProviderView[] }>("/workspaces/current/model-providers"),
  });
  return (
    <div className="page">
      <h1>{t("providers.title")}</h1>
      <p className="lead">{t("providers.intro")}</p>
      <ErrorBanner error={providers.error} />
      <ul className="cards">
        {providers.data?.data.map((p) => (
          <ProviderCard key={p.id} provider={p} canManage={canManage} />
        ))}
      </ul>
      {providers.data?.data.length === 0 && <p className="empty">{t("providers.none")}</p>}
      {canManage && <AddProvider />}
    </div>
  );
}
