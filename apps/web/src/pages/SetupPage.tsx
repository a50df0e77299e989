import { type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useLocation } from "wouter";
import { SetupInput } from "@enclave/contracts";
import { post } from "../api/client.ts";
import { useT } from "../i18n/i18n.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { AuthFrame } from "../ui/Prefs.tsx";

/** First run: the one-time setup token from the server's output creates the owner and workspace. */
export function SetupPage() {
  const t = useT();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const form = useZodForm(SetupInput);
  const setup = useMutation({
    mutationFn: (input: SetupInput) => post("/setup", input),
    onSuccess: async () => {
      client.clear();
      navigate("/", { replace: true });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) setup.mutate(input);
  }
  return (
    <AuthFrame title={t("setup.title")}>
      <p className="lead">{t("setup.intro")}</p>
      <form onSubmit={submit} noValidate>
        <Field label={t("setup.token")} name="token" error={form.errors.token} hint={t("setup.tokenHint")}>
          {(p) => <input {...p} autoComplete="off" spellCheck={false} />}
        </Field>
        <Field label={t("setup.workspaceName")} name="workspaceName" error={form.errors.workspaceName}>
          {(p) => <input {...p} />}
        </Field>
        <Field label={t("common.name")} name="name" error={form.errors.name}>
          {(p) => <input {...p} autoComplete="name" />}
        </Field>
        <Field label={t("common.email")} name="email" error={form.errors.email}>
          {(p) => <input {...p} type="email" autoComplete="email" />}
        </Field>
        <Field
          label={t("common.password")}
          name="password"
          error={form.errors.password}
          hint={t("password.rules")}
        >
          {(p) => <input {...p} type="password" autoComplete="new-password" />}
        </Field>
        <ErrorBanner error={setup.error} />
        <button type="submit" disabled={setup.isPending}>
          {t("setup.submit")}
        </button>
      </form>
    </AuthFrame>
  );
}
