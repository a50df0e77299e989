import { type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { InvitableRole, InviteMemberInput, TransferOwnershipInput } from "@enclave/contracts";
import { del, get, patch, post } from "../api/client.ts";
import type { InvitationView, MemberView } from "../api/types.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useAccount, useCan } from "../layout/Console.tsx";
import { ConfirmButton } from "../ui/ConfirmButton.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { formatDate } from "../ui/format.ts";

const roleKey = (role: string) => `role.${role}` as MessageKey;

function InviteForm() {
  const { t } = useI18n();
  const client = useQueryClient();
  const form = useZodForm(InviteMemberInput);
  const invite = useMutation({
    mutationFn: (input: InviteMemberInput) => post<InvitationView>("/workspaces/current/members", input),
    onSuccess: () => client.invalidateQueries({ queryKey: ["members"] }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) invite.mutate(input);
  }
  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t("members.invite")}</h2>
      <form onSubmit={submit} noValidate className="row-form">
        <Field label={t("common.email")} name="email" error={form.errors.email}>
          {(p) => <input {...p} type="email" />}
        </Field>
        <Field label={t("members.role")} name="role" error={form.errors.role}>
          {(p) => (
            <select {...p} defaultValue="editor">
              {InvitableRole.options.map((r) => (
                <option key={r} value={r}>
                  {t(roleKey(r))}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" disabled={invite.isPending}>
          {t("members.sendInvite")}
        </button>
      </form>
      <ErrorBanner error={invite.error} />
      {invite.data && (
        <div className="banner banner-ok" role="status">
          <p>{t("members.inviteLink", { email: invite.data.email })}</p>
          <input
            readOnly
            value={invite.data.link}
            aria-label={t("members.link")}
            data-testid="invite-link"
            onFocus={(e) => e.target.select()}
          />
        </div>
      )}
    </section>
  );
}

function TransferForm({ members }: { members: MemberView[] }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const form = useZodForm(TransferOwnershipInput);
  const transfer = useMutation({
    mutationFn: (input: TransferOwnershipInput) => post("/workspaces/current/transfer-ownership", input),
    onSuccess: () => client.invalidateQueries({ refetchType: "all" }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const { code, ...rest } = formValues(e.currentTarget);
    const input = form.validate({ ...rest, ...(code ? { code } : {}) });
    if (input) transfer.mutate(input);
  }
  const candidates = members.filter((m) => m.role !== "owner" && m.status === "active");
  return (
    <section className="card" aria-labelledby="transfer-title">
      <h2 id="transfer-title">{t("members.transfer")}</h2>
      <p>{t("members.transferIntro")}</p>
      <form onSubmit={submit} noValidate>
        <Field label={t("members.newOwner")} name="memberId" error={form.errors.memberId}>
          {(p) => (
            <select {...p}>
              {candidates.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.email})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("common.password")} name="password" error={form.errors.password}>
          {(p) => <input {...p} type="password" autoComplete="current-password" />}
        </Field>
        <Field label={t("mfa.code")} name="code" error={form.errors.code} hint={t("members.codeHint")}>
          {(p) => <input {...p} inputMode="numeric" maxLength={6} autoComplete="one-time-code" />}
        </Field>
        <ErrorBanner error={transfer.error} />
        <button
          type="submit"
          className="button-danger"
          disabled={transfer.isPending || candidates.length === 0}
        >
          {t("members.transferSubmit")}
        </button>
      </form>
    </section>
  );
}

export function MembersPage() {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const me = useAccount().data;
  const canManage = useCan("member.update_role");
  const members = useQuery({
    queryKey: ["members"],
    queryFn: () => get<{ data: MemberView[] }>("/workspaces/current/members"),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["members"] });
  const update = useMutation({
    mutationFn: ({ id, body }: { id: string; body: Record<string, string> }) =>
      patch(`/workspaces/current/members/${id}`, body),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => del(`/workspaces/current/members/${id}`),
    onSuccess: refresh,
  });
  const unlock = useMutation({
    mutationFn: (id: string) => post(`/workspaces/current/members/${id}/unlock`),
    onSuccess: refresh,
  });
  const rows = members.data?.data ?? [];
  return (
    <div className="page">
      <h1>{t("members.title")}</h1>
      {canManage && <InviteForm />}
      <section className="card">
        <ErrorBanner error={members.error ?? update.error ?? remove.error ?? unlock.error} />
        <div className="table-wrap">
          <table data-testid="members">
            <thead>
              <tr>
                <th>{t("common.name")}</th>
                <th>{t("common.email")}</th>
                <th>{t("members.role")}</th>
                <th>{t("members.status")}</th>
                <th>{t("members.lastLogin")}</th>
                <th>
                  <span className="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => {
                const editable = canManage && m.role !== "owner" && m.accountId !== me?.id;
                return (
                  <tr key={m.id}>
                    <td>{m.name}</td>
                    <td>{m.email}</td>
                    <td>
                      {editable ? (
                        <select
                          aria-label={t("members.roleOf", { name: m.name })}
                          value={m.role}
                          onChange={(e) => update.mutate({ id: m.id, body: { role: e.target.value } })}
                        >
                          {InvitableRole.options.map((r) => (
                            <option key={r} value={r}>
                              {t(roleKey(r))}
                            </option>
                          ))}
                        </select>
                      ) : (
                        t(roleKey(m.role))
                      )}
                    </td>
                    <td>{m.status === "active" ? t("members.active") : t("members.disabled")}</td>
                    <td>{formatDate(m.lastLoginAt, locale)}</td>
                    <td>
                      <div className="actions">
                        {editable && (
                          <>
                            <button
                              type="button"
                              className="button-small button-secondary"
                              onClick={() =>
                                update.mutate({
                                  id: m.id,
                                  body: { status: m.status === "active" ? "disabled" : "active" },
                                })
                              }
                            >
                              {m.status === "active" ? t("members.disable") : t("members.enable")}
                            </button>
                            <button
                              type="button"
                              className="button-small button-secondary"
                              onClick={() => unlock.mutate(m.id)}
                            >
                              {t("members.unlock")}
                            </button>
                            <ConfirmButton
                              label={t("members.remove")}
                              onConfirm={() => remove.mutate(m.id)}
                            />
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      {me?.workspace?.role === "owner" && <TransferForm members={rows} />}
    </div>
  );
}
