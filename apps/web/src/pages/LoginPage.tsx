import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, Redirect, useLocation } from "wouter";
import { isSiteCode, LoginInput, LoginMfaInput } from "@enclave/contracts";
import { ApiError, get, post } from "../api/client.ts";
import { useT } from "../i18n/i18n.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { AuthFrame } from "../ui/Prefs.tsx";

/**
 * Every refusal reads the same: wrong password, unknown email, disabled account and lockout are
 * indistinguishable on the server, so the page must not guess either.
 */
function SignInError({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  if (error instanceof ApiError && (error.code === "invalid_credentials" || error.code === "rate_limited")) {
    return (
      <div className="banner banner-error" role="alert" data-testid="login-error">
        {error.code === "rate_limited" ? t("login.throttled") : t("login.failed")}
      </div>
    );
  }
  return <ErrorBanner error={error} />;
}

/**
 * Where to go after signing in: `?next=` when it names a published web app of this origin (the
 * web app's "require workspace login" sends visitors here), else the console. Nothing else is
 * accepted, so the parameter cannot become an open redirect.
 */
export function afterLogin(search: string): string {
  const next = new URLSearchParams(search).get("next") ?? "";
  return isSiteCode(/^\/app\/([^/]+)$/.exec(next)?.[1]) ? next : "/";
}

export function LoginPage() {
  const t = useT();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const form = useZodForm(LoginInput);
  // A fresh install has no account to sign in to: send the visitor to setup instead.
  const setup = useQuery({
    queryKey: ["setup"],
    queryFn: () => get<{ setupRequired: boolean }>("/setup").catch(() => ({ setupRequired: false })),
  });
  const login = useMutation({
    mutationFn: (input: LoginInput) => post<{ mfaRequired: boolean }>("/login", input),
    onSuccess: async (res) => {
      if (res.mfaRequired) return navigate(`/login/mfa${window.location.search}`);
      client.clear();
      navigate(afterLogin(window.location.search), { replace: true });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) login.mutate(input);
  }
  if (setup.data?.setupRequired) return <Redirect to="/setup" replace />;
  return (
    <AuthFrame title={t("login.title")}>
      <form onSubmit={submit} noValidate>
        <Field label={t("common.email")} name="email" error={form.errors.email}>
          {(p) => <input {...p} type="email" autoComplete="username" autoFocus />}
        </Field>
        <Field label={t("common.password")} name="password" error={form.errors.password}>
          {(p) => <input {...p} type="password" autoComplete="current-password" />}
        </Field>
        <SignInError error={login.error} />
        <button type="submit" disabled={login.isPending}>
          {t("login.submit")}
        </button>
      </form>
    </AuthFrame>
  );
}

/** The second step: a TOTP code, or one of the recovery codes. */
export function MfaPage() {
  const t = useT();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const [recovery, setRecovery] = useState(false);
  const form = useZodForm(LoginMfaInput);
  const verify = useMutation({
    mutationFn: (input: LoginMfaInput) => post("/login/mfa", input),
    onSuccess: async () => {
      client.clear();
      navigate(afterLogin(window.location.search), { replace: true });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) verify.mutate(input);
  }
  const name = recovery ? "recoveryCode" : "code";
  return (
    <AuthFrame title={t("mfa.title")}>
      <p className="lead">{recovery ? t("mfa.recoveryIntro") : t("mfa.intro")}</p>
      <form onSubmit={submit} noValidate key={name}>
        <Field
          label={recovery ? t("mfa.recoveryCode") : t("mfa.code")}
          name={name}
          error={form.errors[name] ?? form.errors._form}
        >
          {(p) =>
            recovery ? (
              <input {...p} autoComplete="off" spellCheck={false} autoFocus />
            ) : (
              <input {...p} inputMode="numeric" autoComplete="one-time-code" maxLength={6} autoFocus />
            )
          }
        </Field>
        {verify.error instanceof ApiError && verify.error.status === 401 ? (
          <div className="banner banner-error" role="alert">
            {t("mfa.failed")} <Link href="/login">{t("mfa.restart")}</Link>
          </div>
        ) : (
          <ErrorBanner error={verify.error} />
        )}
        <button type="submit" disabled={verify.isPending}>
          {t("mfa.submit")}
        </button>
        <button type="button" className="button-link" onClick={() => setRecovery(!recovery)}>
          {recovery ? t("mfa.useCode") : t("mfa.useRecovery")}
        </button>
      </form>
    </AuthFrame>
  );
}
