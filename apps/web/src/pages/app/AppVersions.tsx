import { useMutation, useQuery } from "@tanstack/react-query";
import type { AppVersionView, AppView } from "@enclave/contracts";
import { get, post } from "../../api/client.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { ConfirmButton } from "../../ui/ConfirmButton.tsx";
import { ErrorBanner } from "../../ui/form.tsx";
import { formatDate } from "../../ui/format.ts";

/**
 * The app's published versions; refetched whenever the served version changes (a publish). An
 * editor can copy one back into the draft (after a confirm: it replaces the draft, unsaved edits too).
 */
export function AppVersions({
  app,
  canEdit,
  onRestored,
}: {
  app: AppView;
  canEdit: boolean;
  onRestored(next: AppView): void;
}) {
  const { t, locale } = useI18n();
  const restore = useMutation({
    mutationFn: (v: AppVersionView) => post<AppView>(`/apps/${app.id}/versions/${v.id}/restore`),
    onSuccess: (next) => onRestored(next),
  });
  const versions = useQuery({
    queryKey: ["app-versions", app.id, app.publishedVersion?.id ?? null],
    queryFn: () => get<{ data: AppVersionView[] }>(`/apps/${app.id}/versions`),
  });
  const list = versions.data?.data ?? [];
  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">{t("editor.versions.title")}</h2>
      <ErrorBanner error={versions.error ?? restore.error} />
      {restore.isSuccess && (
        <p className="banner banner-ok" role="status" data-testid="version-restored">
          {t("editor.versions.restored", { version: restore.variables.version })}
        </p>
      )}
      {versions.isFetched && list.length === 0 && <p className="empty">{t("editor.versions.none")}</p>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table data-testid="versions">
            <thead>
              <tr>
                <th>{t("editor.versions.version")}</th>
                <th>{t("editor.versions.publishedAt")}</th>
                <th>{t("editor.versions.by")}</th>
                {canEdit && <th>{t("editor.versions.actions")}</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((v) => (
                <tr key={v.id} data-testid="version">
                  <td>
                    v{v.version}{" "}
                    {v.id === app.publishedVersion?.id && (
                      <span className="badge badge-ok">{t("editor.versions.current")}</span>
                    )}
                  </td>
                  <td>{formatDate(v.createdAt, locale)}</td>
                  <td>{v.createdByName ?? t("editor.versions.gone")}</td>
                  {canEdit && (
                    <td>
                      <ConfirmButton
                        label={t("editor.versions.restore")}
                        disabled={restore.isPending}
                        onConfirm={() => restore.mutate(v)}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
