import { type FormEvent, useEffect, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { get, post, query } from "../api/client.ts";
import type { AuditEventView, VerificationView } from "../api/types.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { formatDate } from "../ui/format.ts";
import { formValues } from "../ui/form.tsx";

interface Filters {
  action?: string;
  outcome?: string;
  targetType?: string;
  from?: string;
  to?: string;
}

function VerificationBadge() {
  const { t, locale } = useI18n();
  const client = useQueryClient();
  const status = useQuery({
    queryKey: ["audit-verification"],
    queryFn: () => get<VerificationView>("/audit/verification"),
  });
  const verify = useMutation({
    mutationFn: () => post("/audit/verification"),
    onSuccess: () => client.invalidateQueries({ queryKey: ["audit-verification"] }),
  });
  const last = status.data?.lastVerification;
  const state = !last ? "unknown" : last.ok ? "ok" : "broken";
  return (
    <div className="verification">
      <span className={`badge badge-${state}`} data-testid="chain-badge">
        {t(`audit.chain.${state}` as MessageKey)}
      </span>
      {last && (
        <small>
          {t("audit.verifiedAt", { when: formatDate(last.verifiedAt, locale), events: last.events })}
        </small>
      )}
      <button
        type="button"
        className="button-small button-secondary"
        onClick={() => verify.mutate()}
        disabled={verify.isPending}
      >
        {verify.isPending ? t("audit.verifying") : t("audit.verifyNow")}
      </button>
    </div>
  );
}

/** One event's every field, in a modal <dialog> (focus is trapped and Escape closes it). */
function EventDrawer({ event, onClose }: { event: AuditEventView | null; onClose(): void }) {
  const { t, locale } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (event && !dialog.open) dialog.showModal();
    if (!event && dialog.open) dialog.close();
  }, [event]);
  return (
    <dialog ref={ref} className="drawer" onClose={onClose} aria-labelledby="drawer-title">
      {event && (
        <>
          <header>
            <h2 id="drawer-title">{event.action}</h2>
            <button type="button" className="button-ghost" onClick={onClose}>
              {t("common.close")}
            </button>
          </header>
          <dl className="facts">
            <dt>{t("audit.when")}</dt>
            <dd>{formatDate(event.createdAt, locale)}</dd>
            <dt>{t("audit.seq")}</dt>
            <dd>{event.seq}</dd>
            <dt>{t("audit.outcome")}</dt>
            <dd>{t(`audit.outcomes.${event.outcome}` as MessageKey)}</dd>
            <dt>{t("audit.actor")}</dt>
            <dd className="wrap">{`${event.actorType} ${event.actorId ?? ""}`}</dd>
            <dt>{t("audit.target")}</dt>
            <dd className="wrap">{`${event.targetType ?? "—"} ${event.targetId ?? ""}`}</dd>
            <dt>{t("audit.ip")}</dt>
            <dd>{event.ip ?? "—"}</dd>
            <dt>{t("audit.requestId")}</dt>
            <dd className="wrap">{event.requestId ?? "—"}</dd>
          </dl>
          <h3>{t("audit.details")}</h3>
          <pre className="json" data-testid="event-details">
            {JSON.stringify(event.details, null, 2)}
          </pre>
        </>
      )}
    </dialog>
  );
}

export function AuditPage() {
  const { t, locale } = useI18n();
  const [filters, setFilters] = useState<Filters>({});
  const [selected, setSelected] = useState<AuditEventView | null>(null);
  const params = {
    ...filters,
    from: filters.from ? new Date(filters.from).toISOString() : undefined,
    to: filters.to ? new Date(filters.to).toISOString() : undefined,
  };
  const events = useQuery({
    queryKey: ["audit", params],
    queryFn: () =>
      get<{ data: AuditEventView[]; nextBeforeSeq: number | null }>(
        `/audit/events${query({ ...params, limit: 100 })}`,
      ),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setFilters(formValues(e.currentTarget));
  }
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t("audit.title")}</h1>
        <VerificationBadge />
      </div>
      <form className="card filters" onSubmit={submit} aria-label={t("audit.filters")}>
        <label>
          {t("audit.action")}
          <input name="action" spellCheck={false} />
        </label>
        <label>
          {t("audit.targetType")}
          <input name="targetType" spellCheck={false} />
        </label>
        <label>
          {t("audit.outcome")}
          <select name="outcome" defaultValue="">
            <option value="">{t("audit.any")}</option>
            {(["success", "failure", "denied"] as const).map((o) => (
              <option key={o} value={o}>
                {t(`audit.outcomes.${o}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("audit.from")}
          <input name="from" type="datetime-local" />
        </label>
        <label>
          {t("audit.to")}
          <input name="to" type="datetime-local" />
        </label>
        <button type="submit">{t("audit.apply")}</button>
        <a className="button button-secondary" href={`/console/api/audit/export${query(params)}`} download>
          {t("audit.export")}
        </a>
      </form>
      <section className="card">
        <div className="table-wrap">
          <table data-testid="audit-events">
            <thead>
              <tr>
                <th>{t("audit.when")}</th>
                <th>{t("audit.action")}</th>
                <th>{t("audit.outcome")}</th>
                <th>{t("audit.target")}</th>
                <th>{t("audit.ip")}</th>
              </tr>
            </thead>
            <tbody>
              {events.data?.data.map((e) => (
                <tr key={e.id}>
                  <td>{formatDate(e.createdAt, locale)}</td>
                  <td>
                    <button type="button" className="button-link" onClick={() => setSelected(e)}>
                      {e.action}
                    </button>
                  </td>
                  <td>
                    <span className={`badge badge-${e.outcome}`}>{t(`audit.outcomes.${e.outcome}`)}</span>
                  </td>
                  <td className="wrap">{e.targetType ?? "—"}</td>
                  <td>{e.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {events.data?.data.length === 0 && <p className="empty">{t("audit.none")}</p>}
      </section>
      <EventDrawer event={selected} onClose={() => setSelected(null)} />
    </div>
  );
}
