import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ChangePasswordInput, TotpDisableInput } from "@enclave/contracts";
import { del, get, post } from "../api/client.ts";
import type { SessionView } from "../api/types.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { formatDate } from "../ui/format.ts";
import { MfaEnrolment } from "./MfaEnrolment.tsx";

function PasswordSection() {
  const { t } = useI18n();
  const form = useZodForm(ChangePasswordInput);
  const change = useMutation({
    mutationFn: (input: ChangePasswordInput) => post("/account/password", input),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const target = e.currentTarget;
    const input = form.validate(formValues(target));
    if (input) change.mutate(input, { onSuccess: () => target.reset() });
  }
  return (
    <section className="card" aria-labelledby="pw-title">
      <h2 id="pw-title">{t("account.password")}</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label={t("account.currentPassword")}
          name="currentPassword"
          error={form.errors.currentPassword}
        >
          {(p) => <input {...p} type="password" autoComplete="current-password" />}
        </Field>
        <Field
          label={t("account.newPassword")}
          name="newPassword"
          error={form.errors.newPassword}
          hint={t("password.rules")}
        >
          {(p) => <input {...p} type="password" autoComplete="new-password" />}
        </Field>
        <ErrorBanner error={change.error} />
        {change.isSuccess && (
          <p className="banner banner-ok" role="status">
            {t("account.passwordChanged")}
          </p>
        )}
        <button type="submit" disabled={change.isPending}>
          {t("account.changePassword")}
        </button>
      </form>
    </section>
  );
}

function MfaSection() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [enrolling, setEnrolling] = useState(false);
  const status = useQuery({
    queryKey: ["mfa"],
    queryFn: () => get<{ enabled: boolean; recoveryCodesRemaining: number }>("/account/mfa"),
  });
  const form = useZodForm(TotpDisableInput);
  const disable = useMutation({
    mutationFn: (input: TotpDisableInput) => post("/account/mfa/totp/disable", input),
    onSuccess: () => client.invalidateQueries({ refetchType: "all" }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) disable.mutate(input);
  }
  return (
    <section className="card" aria-labelledby="mfa-title">
      <h2 id="mfa-title">{t("account.mfa")}</h2>
      {status.data?.enabled && !enrolling ? (
        <>
          <p data-testid="mfa-status">
            {t("account.mfaOn", { remaining: status.data.recoveryCodesRemaining })}
          </p>
          <form onSubmit={submit} noValidate>
            <Field label={t("common.password")} name="password" error={form.errors.password}>
              {(p) => <input {...p} type="password" autoComplete="current-password" />}
            </Field>
            <Field label={t("mfa.code")} name="code" error={form.errors.code}>
              {(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" maxLength={6} />}
            </Field>
            <ErrorBanner error={disable.error} />
            <button type="submit" className="button-danger" disabled={disable.isPending}>
              {t("account.disableMfa")}
            </button>
          </form>
        </>
      ) : enrolling ? (
        <MfaEnrolment onDone={() => setEnrolling(false)} />
      ) : (
        <>
          <p data-testid="mfa-status">{t("account.mfaOff")}</p>
          <button type="button" onClick={() => setEnrolling(true)}>
            {t("account.enableMfa")}
          </button>
        </>
      )}
    </section>
  );
}

function SessionsSection() {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: ["sessions"],
    queryFn: () => get<{ data: SessionView[] }>("/account/sessions"),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["sessions"] });
  const revoke = useMutation({
    mutationFn: (id: string) => del(`/account/sessions/${id}`),
    onSuccess: refresh,
  });
  const others = useMutation({
    mutationFn: () => del<{ revoked: number }>("/account/sessions"),
    onSuccess: refresh,
  });
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t("account.sessions")}</h2>
      <table>
        <thead>
          <tr>
            <th>{t("account.device")}</th>
            <th>{t("account.ip")}</th>
            <th>{t("account.lastSeen")}</th>
            <th>
              <span className="visually-hidden">{t("common.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.data?.data.map((s) => (
            <tr key={s.id}>
              <td className="wrap">{s.userAgent ?? "—"}</td>
              <td>{s.ip ?? "—"}</td>
              <td>{formatDate(s.lastSeenAt, locale)}</td>
              <td>
                {s.current ? (
                  <span className="badge">{t("account.thisSession")}</span>
                ) : (
                  <button type="button" className="button-small" onClick={() => revoke.mutate(s.id)}>
                    {t("account.revoke")}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBanner error={revoke.error ?? others.error} />
      <button
        type="button"
        className="button-secondary"
        onClick={() => others.mutate()}
        disabled={others.isPending}
      >
        {t("account.logoutOthers")}
      </button>
    </section>
  );
}

export function AccountPage() {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t("account.title")}</h1>
      <PasswordSection />
      <MfaSection />
      <SessionsSection />
    </div>
  );
}
