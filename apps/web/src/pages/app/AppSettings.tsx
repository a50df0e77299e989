import { type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type AppView, LOG_VISIBILITIES, UpdateAppInput } from "@enclave/contracts";
import { patch } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useAccount } from "../../layout/Console.tsx";
import { ErrorBanner, Field, useZodForm } from "../../ui/form.tsx";

type Settings = Pick<
  AppView,
  "enableApi" | "enableSite" | "logVisibility" | "retainContent" | "retentionDays" | "apiRpm" | "maxApiKeys"
>;

const optionalNumber = (v: FormDataEntryValue | null) => (v === null || v === "" ? null : Number(v));

/** Only the fields that changed are sent: an editor may save access limits without touching log policy. */
export function changedSettings(app: Settings, next: Settings): Partial<Settings> {
  const out: Partial<Settings> = {};
  for (const key of Object.keys(next) as (keyof Settings)[]) {
    if (next[key] !== app[key]) Object.assign(out, { [key]: next[key] });
  }
  return out;
}

export function AppSettings({ app, canEdit }: { app: AppView; canEdit: boolean }) {
  const t = useT();
  const client = useQueryClient();
  const role = useAccount().data?.workspace?.role;
  // Owner and admins decide who reads logs; on owner_only apps, only the owner (see console-apps.md).
  const canSetPolicy = role === "owner" || (role === "admin" && app.logVisibility !== "owner_only");
  const form = useZodForm(UpdateAppInput);
  const save = useMutation({
    mutationFn: (input: UpdateAppInput) => patch<AppView>(`/apps/${app.id}`, input),
    onSuccess: (next) => client.setQueryData(["app", app.id], next),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const next: Settings = {
      enableApi: f.get("enableApi") === "on",
      enableSite: f.get("enableSite") === "on",
      logVisibility: (f.get("logVisibility") as Settings["logVisibility"] | null) ?? app.logVisibility,
      retainContent: canSetPolicy ? f.get("retainContent") === "on" : app.retainContent,
      retentionDays: canSetPolicy ? optionalNumber(f.get("retentionDays")) : app.retentionDays,
      apiRpm: optionalNumber(f.get("apiRpm")),
      maxApiKeys: Number(f.get("maxApiKeys") ?? app.maxApiKeys),
    };
    const input = form.validate(changedSettings(app, next));
    if (input) save.mutate(input);
  }
  return (
    <section className="card" aria-labelledby="settings-title">
      <h2 id="settings-title">{t("app.settings")}</h2>
      <form onSubmit={submit} noValidate key={app.updatedAt}>
        <fieldset disabled={!canEdit}>
          <label className="check">
            <input type="checkbox" name="enableApi" defaultChecked={app.enableApi} />
            {t("app.enableApi")}
          </label>
          <label className="check">
            <input type="checkbox" name="enableSite" defaultChecked={app.enableSite} />
            {t("app.enableSite")}
          </label>
          <div className="row-form">
            <Field
              label={t("app.apiRpm")}
              name="apiRpm"
              error={form.errors.apiRpm}
              hint={t("app.emptyUnlimited")}
            >
              {(p) => <input {...p} type="number" min={1} defaultValue={app.apiRpm ?? ""} />}
            </Field>
            <Field label={t("app.maxApiKeys")} name="maxApiKeys" error={form.errors.maxApiKeys}>
              {(p) => <input {...p} type="number" min={1} max={100} defaultValue={app.maxApiKeys} />}
            </Field>
          </div>
        </fieldset>
        <fieldset disabled={!canEdit || !canSetPolicy}>
          <legend>{t("app.logPolicy")}</legend>
          <Field label={t("app.logVisibility")} name="logVisibility" error={form.errors.logVisibility}>
            {(p) => (
              <select {...p} defaultValue={app.logVisibility}>
                {LOG_VISIBILITIES.map((v) => (
                  <option key={v} value={v}>
                    {t(`app.visibility.${v}` as MessageKey)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <label className="check">
            <input type="checkbox" name="retainContent" defaultChecked={app.retainContent} />
            {t("app.retainContent")}
          </label>
          <Field
            label={t("app.retentionDays")}
            name="retentionDays"
            error={form.errors.retentionDays}
            hint={t("app.retentionHint")}
          >
            {(p) => <input {...p} type="number" min={1} max={3650} defaultValue={app.retentionDays ?? ""} />}
          </Field>
          {!canSetPolicy && <p className="hint">{t("app.policyAdminsOnly")}</p>}
        </fieldset>
        <ErrorBanner error={save.error} />
        {save.isSuccess && (
          <p className="banner banner-ok" role="status">
            {t("common.saved")}
          </p>
        )}
        {canEdit && (
          <button type="submit" disabled={save.isPending}>
            {t("common.save")}
          </button>
        )}
      </form>
    </section>
  );
}
