import { type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useLocation, useParams } from "wouter";
import { AcceptInvitationInput } from "@enclave/contracts";
import { post } from "../api/client.ts";
import { useT } from "../i18n/i18n.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { AuthFrame } from "../ui/Prefs.tsx";

/** Accepting an invitation link: the token in the path, a name and a password. */
export function InvitePage() {
  const t = useT();
  const { token = "" } = useParams<{ token: string }>();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const form = useZodForm(AcceptInvitationInput);
  const accept = useMutation({
    mutationFn: (input: AcceptInvitationInput) =>
      post(`/invitations/${encodeURIComponent(token)}/accept`, input),
    onSuccess: async () => {
      client.clear();
      navigate("/", { replace: true });
    },
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const { name, password } = formValues(e.currentTarget);
    const input = form.validate({ ...(name ? { name } : {}), password });
    if (input) accept.mutate(input);
  }
  return (
    <AuthFrame title={t("invite.title")}>
      <form onSubmit={submit} noValidate>
        <Field label={t("common.name")} name="name" error={form.errors.name}>
          {(p) => <input {...p} autoComplete="name" />}
        </Field>
        <Field
          label={t("common.password")}
          name="password"
          error={form.errors.password}
          hint={t("password.rules")}
        >
          {(p) => <input {...p} type="password" autoComplete="new-password" />}
        </Field>
        <ErrorBanner error={accept.error} />
        <button type="submit" disabled={accept.isPending}>
          {t("invite.submit")}
        </button>
      </form>
    </AuthFrame>
  );
}
