import { type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CreateAllowlistEntryInput } from "@enclave/contracts";
import { del, get, post } from "../api/client.ts";
import type { AllowlistEntryView } from "../api/types.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useCan } from "../layout/Console.tsx";
import { ConfirmButton } from "../ui/ConfirmButton.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { formatDate } from "../ui/format.ts";

const PATH = "/workspaces/current/outbound-allowlist";

export function AllowlistPage() {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const canManage = useCan("model_provider.manage");
  const form = useZodForm(CreateAllowlistEntryInput);
  const list = useQuery({
    queryKey: ["allowlist"],
    queryFn: () => get<{ data: AllowlistEntryView[] }>(PATH),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["allowlist"] });
  const add = useMutation({
    mutationFn: (input: CreateAllowlistEntryInput) => post(PATH, input),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`${PATH}/${id}`), onSuccess: refresh });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const target = e.currentTarget;
    const input = form.validate(formValues(target));
    if (input) add.mutate(input, { onSuccess: () => target.reset() });
  }
  return (
    <div className="page">
      <h1>{t("allowlist.title")}</h1>
      <p className="lead">{t("allowlist.intro")}</p>
      {canManage && (
        <section className="card">
          <form onSubmit={submit} noValidate className="row-form">
            <Field
              label={t("allowlist.entry")}
              name="entry"
              error={form.errors.entry}
              hint={t("allowlist.entryHint")}
            >
              {(p) => <input {...p} spellCheck={false} />}
            </Field>
            <Field label={t("allowlist.note")} name="note" error={form.errors.note}>
              {(p) => <input {...p} />}
            </Field>
            <button type="submit" disabled={add.isPending}>
              {t("allowlist.add")}
            </button>
          </form>
          <ErrorBanner error={add.error} />
        </section>
      )}
      <section className="card">
        <ErrorBanner error={list.error ?? remove.error} />
        <table data-testid="allowlist">
          <thead>
            <tr>
              <th>{t("allowlist.entry")}</th>
              <th>{t("allowlist.note")}</th>
              <th>{t("common.created")}</th>
              <th>
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data?.data.map((e) => (
              <tr key={e.id}>
                <td>
                  <code>{e.entry}</code>
                </td>
                <td>{e.note}</td>
                <td>{formatDate(e.createdAt, locale)}</td>
                <td>
                  {canManage && (
                    <ConfirmButton label={t("common.remove")} onConfirm={() => remove.mutate(e.id)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.data.length === 0 && <p className="empty">{t("allowlist.none")}</p>}
      </section>
    </div>
  );
}
