import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useLocation } from "wouter";
import { TotpConfirmInput } from "@enclave/contracts";
import { post } from "../api/client.ts";
import { useT } from "../i18n/i18n.tsx";
import { ErrorBanner, Field, formValues, useZodForm } from "../ui/form.tsx";
import { AuthFrame } from "../ui/Prefs.tsx";
import { QrCode } from "../ui/QrCode.tsx";

/** Recovery codes, shown once: the page offers a download and then forgets them. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone(): unknown }) {
  const t = useT();
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([codes.join("\n") + "\n"], { type: "text/plain" }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [codes]);
  return (
    <section className="recovery" aria-labelledby="recovery-title">
      <h2 id="recovery-title">{t("recovery.title")}</h2>
      <p>{t("recovery.intro")}</p>
      <ol className="codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        {href && (
          <a className="button button-secondary" href={href} download="enclave-recovery-codes.txt">
            {t("recovery.download")}
          </a>
        )}
        <button type="button" onClick={onDone}>
          {t("recovery.saved")}
        </button>
      </div>
    </section>
  );
}

/** Starts TOTP enrolment, shows the otpauth URI as a QR code and the secret, then confirms a code. */
export function MfaEnrolment({ onDone }: { onDone(): void }) {
  const t = useT();
  const client = useQueryClient();
  const form = useZodForm(TotpConfirmInput);
  const start = useMutation({
    mutationFn: () => post<{ secret: string; otpauthUri: string }>("/account/mfa/totp"),
  });
  const confirm = useMutation({
    mutationFn: (input: TotpConfirmInput) =>
      post<{ recoveryCodes: string[] }>("/account/mfa/totp/confirm", input),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate(formValues(e.currentTarget));
    if (input) confirm.mutate(input);
  }
  if (confirm.data) {
    return (
      <RecoveryCodes
        codes={confirm.data.recoveryCodes}
        onDone={async () => {
          // The console's gate reads mfaEnrolmentRequired: it must see the new state first.
          await client.invalidateQueries({ refetchType: "all" });
          onDone();
        }}
      />
    );
  }
  if (!start.data) {
    return (
      <div className="stack">
        <p>{t("enrol.intro")}</p>
        <ErrorBanner error={start.error} />
        <button
          type="button"
          onClick={() => start.mutate()}
          disabled={start.isPending}
          data-testid="mfa-start"
        >
          {t("enrol.start")}
        </button>
      </div>
    );
  }
  return (
    <div className="enrol">
      <QrCode text={start.data.otpauthUri} label={t("enrol.qrLabel")} />
      <div className="stack">
        <p>{t("enrol.scan")}</p>
        <p>
          {t("enrol.secret")} <code data-testid="totp-secret">{start.data.secret}</code>
        </p>
        <form onSubmit={submit} noValidate>
          <Field label={t("mfa.code")} name="code" error={form.errors.code}>
            {(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" maxLength={6} />}
          </Field>
          <ErrorBanner error={confirm.error} />
          <button type="submit" disabled={confirm.isPending}>
            {t("enrol.confirm")}
          </button>
        </form>
      </div>
    </div>
  );
}

/** Shown instead of the console while the workspace's policy requires MFA the user lacks. */
export function EnrolMfaPage() {
  const t = useT();
  const [, navigate] = useLocation();
  return (
    <AuthFrame title={t("enrol.requiredTitle")}>
      <p className="lead">{t("enrol.required")}</p>
      <MfaEnrolment onDone={() => navigate("/", { replace: true })} />
    </AuthFrame>
  );
}
