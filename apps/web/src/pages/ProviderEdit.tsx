import { type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  MODEL_TYPES,
  type ModelEntry,
  type ModelProviderView,
  UpdateModelProviderInput,
} from "@enclave/contracts";
import { patch } from "../api/client.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useT } from "../i18n/i18n.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";

/**
 * Model lines (`name [type]`, one per line) back to entries; a model that was already listed keeps
 * its prices and context window. A line with an unknown type stays invalid for the schema to flag.
 */
export function parseModelLines(text: string, existing: readonly ModelEntry[]): unknown[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [name = "", type = "llm", ...extra] = line.split(/\s+/);
      const before = existing.find((m) => m.name === name);
      const entry = { ...before, name, type } as Record<string, unknown>;
      if (extra.length > 0 || !(MODEL_TYPES as readonly string[]).includes(type)) entry.type = line;
      return entry;
    });
}

export const modelLines = (models: readonly ModelEntry[]) =>
  models.map((m) => (m.type === "llm" ? m.name : `${m.name} ${m.type}`)).join("\n");

/** Rename, move, replace secrets (empty = keep) and edit the model list; secrets are never shown. */
export function ProviderEdit({
  provider,
  fields,
  secret,
  onDone,
}: {
  provider: ModelProviderView;
  fields: string[];
  secret: ReadonlySet<string>;
  onDone(): void;
}) {
  const t = useT();
  const client = useQueryClient();
  const form = useZodForm(UpdateModelProviderInput);
  const save = useMutation({
    mutationFn: (input: UpdateModelProviderInput) =>
      patch<ModelProviderView>(`/workspaces/current/model-providers/${provider.id}`, input),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["providers"] });
      onDone();
    },
  });
  const setting = (f: string) =>
    f === "baseUrl" ? (provider.baseUrl ?? "") : String(provider.settings[f] ?? "");
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const v = formValues(e.currentTarget);
    if (v.baseUrl && !URL.canParse(v.baseUrl)) return form.setErrors({ baseUrl: "validation.url" });
    const out: Record<string, unknown> = { name: v.name ?? "" };
    for (const f of fields) {
      const value = v[f] ?? "";
      // Secrets: empty keeps the stored one. Settings: only what changed is sent.
      if (secret.has(f) ? value !== "" : value !== setting(f) && value !== "") out[f] = value;
    }
    out.models = parseModelLines(v.models ?? "", provider.models);
    const input = form.validate(out);
    if (input) save.mutate(input);
  }
  const id = (f: string) => `edit-${provider.id}-${f}`;
  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label={t("editor.providers.editTitle")}
      data-testid="provider-edit"
    >
      <Field label={t("common.name")} name="name" error={form.errors.name}>
        {(p) => <input {...p} defaultValue={provider.name} />}
      </Field>
      {fields.map((f) => (
        <Field
          key={id(f)}
          label={t(`providers.fields.${f}` as MessageKey)}
          name={f}
          error={form.errors[f]}
          {...(secret.has(f) && provider.credentials[f]
            ? { hint: t("editor.providers.keep", { mask: provider.credentials[f] }) }
            : {})}
        >
          {(p) =>
            secret.has(f) ? (
              <input {...p} type="password" autoComplete="off" spellCheck={false} />
            ) : (
              <input {...p} defaultValue={setting(f)} autoComplete="off" spellCheck={false} />
            )
          }
        </Field>
      ))}
      <Field
        label={t("providers.models")}
        name="models"
        error={form.errors.models}
        hint={t("editor.providers.modelsHint")}
      >
        {(p) => <textarea {...p} rows={4} defaultValue={modelLines(provider.models)} spellCheck={false} />}
      </Field>
      <ErrorBanner error={save.error} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {t("editor.providers.save")}
        </button>
        <button type="button" className="button-secondary" onClick={onDone}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
