import { type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { MfaPolicy, UpdateWorkspaceInput } from "@enclave/contracts";
import { patch } from "../api/client.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useT } from "../i18n/i18n.tsx";
import { useAccount } from "../layout/Console.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";

/** Workspace name and security policy; session lifetimes and proxies are the operator's settings. */
export function WorkspaceSettingsPage() {
  const t = useT();
  const client = useQueryClient();
  const workspace = useAccount().data?.workspace;
  const form = useZodForm(UpdateWorkspaceInput);
  const save = useMutation({
    mutationFn: (input: UpdateWorkspaceInput) => patch("/workspaces/current", input),
    onSuccess: () => client.invalidateQueries({ refetchType: "all" }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) save.mutate(input);
  }
  if (!workspace) return null;
  return (
    <div className="page">
      <h1>{t("settings.title")}</h1>
      <section className="card">
        <form onSubmit={submit} noValidate key={workspace.id}>
          <Field label={t("settings.name")} name="name" error={form.errors.name}>
            {(p) => <input {...p} defaultValue={workspace.name} />}
          </Field>
          <Field
            label={t("settings.mfaPolicy")}
            name="mfaPolicy"
            error={form.errors.mfaPolicy}
            hint={t("settings.mfaPolicyHint")}
          >
            {(p) => (
              <select {...p} defaultValue={workspace.mfaPolicy}>
                {MfaPolicy.options.map((o) => (
                  <option key={o} value={o}>
                    {t(`settings.mfa.${o}` as MessageKey)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <ErrorBanner error={save.error} />
          {save.isSuccess && (
            <p className="banner banner-ok" role="status">
              {t("common.saved")}
            </p>
          )}
          <button type="submit" disabled={save.isPending}>
            {t("common.save")}
          </button>
        </form>
      </section>
      <section className="card">
        <h2>{t("settings.operator")}</h2>
        <p>{t("settings.operatorIntro")}</p>
      </section>
    </div>
  );
}
