// The embed snippet (iframe) for the published web app, and the per-app list of https origins
// allowed to frame it (the server writes them into CSP frame-ancestors of /app/<code> only), with
// notes on what keeps an embed from working: a console on plain HTTP, a site requiring login.
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type AppView, EmbedOrigins } from "@enclave/contracts";
import { patch } from "../../api/client.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { useAccount } from "../../layout/Console.tsx";
import { ErrorBanner } from "../../ui/form.tsx";

export function embedSnippet(origin: string, code: string): string {
  return `<iframe src="${origin}/app/${code}" title="chat" width="100%" height="640" allow="clipboard-write"></iframe>`;
}

export function EmbedSnippet({ app, canEdit }: { app: AppView; canEdit: boolean }) {
  const { t } = useI18n();
  const client = useQueryClient();
  // Who may frame the app is a security setting: owner and admins (see console-apps.md).
  const role = useAccount().data?.workspace?.role;
  const canSetOrigins = canEdit && (role === "owner" || role === "admin");
  const [text, setText] = useState(app.siteEmbedOrigins.join("\n"));
  const [invalid, setInvalid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (siteEmbedOrigins: string[]) => patch<AppView>(`/apps/${app.id}`, { siteEmbedOrigins }),
    onSuccess: (next) => client.setQueryData(["app", app.id], next),
  });
  const submit = () => {
    const lines = text
      .split(/\s+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const parsed = EmbedOrigins.safeParse(lines);
    if (!parsed.success) {
      const bad = parsed.error.issues[0]?.path[0];
      setInvalid(typeof bad === "number" ? (lines[bad] ?? "") : "");
      return;
    }
    setInvalid(null);
    save.mutate(parsed.data);
  };
  return (
    <section className="card embed" data-testid="embed">
      <h2>{t("chat.embed.title")}</h2>
      <p className="hint">{t("chat.embed.help")}</p>
      {/* The web app's cookies can cross sites only as SameSite=None, which needs Secure (HTTPS). */}
      {window.location.protocol === "http:" && (
        <p className="hint" role="note" data-testid="embed-http-note">
          {t("chat.embed.httpOnly")}
        </p>
      )}
      {app.siteRequireLogin && (
        <p className="hint" role="note" data-testid="embed-login-note">
          {t("chat.embed.requireLogin")}
        </p>
      )}
      <pre className="code" data-testid="embed-snippet">
        {embedSnippet(window.location.origin, app.siteCode)}
      </pre>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="field">
          <label htmlFor="embed-origins">{t("chat.embed.origins")}</label>
          <textarea
            id="embed-origins"
            rows={3}
            value={text}
            disabled={!canSetOrigins}
            aria-invalid={invalid !== null}
            aria-describedby="embed-origins-hint"
            placeholder="https://intranet.example.com"
            data-testid="embed-origins"
            onChange={(e) => setText(e.target.value)}
          />
          <p className="hint" id="embed-origins-hint">
            {t("chat.embed.originsHelp")}
          </p>
          {!canSetOrigins && (
            <p className="hint" data-testid="embed-admins-only">
              {t("chat.embed.adminsOnly")}
            </p>
          )}
          {invalid !== null && (
            <p className="field-error" role="alert">
              {t("chat.embed.invalid", { origin: invalid })}
            </p>
          )}
        </div>
        <ErrorBanner error={save.error} />
        {canSetOrigins && (
          <button type="submit" disabled={save.isPending} data-testid="embed-save">
            {t("chat.embed.save")}
          </button>
        )}
        {save.isSuccess && <span className="hint">{t("chat.embed.saved")}</span>}
      </form>
    </section>
  );
}
