import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import {
  CreateTextDocumentInput,
  type DatasetView,
  type DocumentStatus,
  type DocumentView,
  ProcessRule,
  type UpdateDatasetInput,
} from "@enclave/contracts";
import { del, get, patch, post, query } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { ConfirmButton } from "../../ui/ConfirmButton.tsx";
import { ErrorBanner, Field, useZodForm } from "../../ui/form.tsx";
import { DatasetForm } from "./DatasetForm.tsx";
import { MetadataSection } from "./MetadataSection.tsx";
import { type Page, Pager, PermissionBadge } from "./DatasetsPage.tsx";
import {
  DEFAULT_RULE_FORM,
  isTerminal,
  percent,
  type ProcessRuleForm,
  shouldPoll,
  toProcessRule,
} from "./logic.ts";
import { Uploader } from "./Uploader.tsx";

interface IndexingStatus {
  id: string;
  status: DocumentStatus;
  error: string | null;
  progress: { done: number; total: number };
}

const POLL_MS = 1000;

/** Status and progress of one document, polled from indexing-status until it is terminal. */
function StatusCell({ datasetId, doc }: { datasetId: string; doc: DocumentView }) {
  const t = useT();
  const client = useQueryClient();
  const live = useQuery({
    queryKey: ["indexing-status", datasetId, doc.id],
    queryFn: () => get<IndexingStatus>(`/datasets/${datasetId}/documents/${doc.id}/indexing-status`),
    enabled: !isTerminal(doc.status),
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.status) ? false : POLL_MS),
  });
  const s = live.data && !isTerminal(doc.status) ? live.data : doc;
  const terminalNow = live.data ? isTerminal(live.data.status) : false;
  useEffect(() => {
    // The row's word count and chunk totals are in the list: refresh it once this one settles.
    if (terminalNow && !isTerminal(doc.status))
      void client.invalidateQueries({ queryKey: ["documents", datasetId] });
  }, [terminalNow, doc.status, client, datasetId]);
  const pct = s.status === "completed" ? 100 : percent(s.progress.done, s.progress.total);
  return (
    <>
      <td>
        <span
          className={
            s.status === "completed"
              ? "badge badge-ok"
              : s.status === "error"
                ? "badge badge-failure"
                : "badge"
          }
          data-testid="doc-status"
        >
          {t(`knowledge.status.${s.status}` as MessageKey)}
        </span>
        {s.error && (
          <small className="field-error doc-error" role="alert" data-testid="doc-error">
            {s.error}
          </small>
        )}
      </td>
      <td>
        <progress max={100} value={pct} aria-label={t("knowledge.progress")} />{" "}
        <span className="muted" data-testid="doc-progress">
          {t("knowledge.chunksProgress", { done: s.progress.done, total: s.progress.total })}
        </span>
      </td>
    </>
  );
}

function Documents({ dataset }: { dataset: DatasetView }) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const key = ["documents", dataset.id, page];
  const docs = useQuery({
    queryKey: key,
    queryFn: () => get<Page<DocumentView>>(`/datasets/${dataset.id}/documents${query({ page, limit: 20 })}`),
    // A safety net besides the per-row status polls: new rows and final counts appear on their own.
    refetchInterval: (q) => (shouldPoll(q.state.data?.data) ? POLL_MS * 3 : false),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["documents", dataset.id] });
  const toggle = useMutation({
    mutationFn: (d: DocumentView) =>
      patch(`/datasets/${dataset.id}/documents/${d.id}`, { enabled: !d.enabled }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => del(`/datasets/${dataset.id}/documents/${id}`),
    onSettled: async () => {
      await refresh();
      await client.invalidateQueries({ queryKey: ["dataset", dataset.id] });
    },
  });
  const rows = docs.data?.data ?? [];
  return (
    <section className="card" aria-labelledby="documents">
      <h2 id="documents">{t("knowledge.documents")}</h2>
      <ErrorBanner error={docs.error ?? toggle.error ?? remove.error} />
      <div className="table-wrap">
        <table data-testid="documents">
          <thead>
            <tr>
              <th>{t("common.name")}</th>
              <th>{t("knowledge.statusLabel")}</th>
              <th>{t("knowledge.progress")}</th>
              <th>{t("knowledge.words")}</th>
              <th>{t("knowledge.enabled")}</th>
              <th>{t("common.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-testid="document-row" data-name={d.name}>
                <td>
                  <Link href={`/knowledge/${dataset.id}/documents/${d.id}`}>{d.name}</Link>
                </td>
                <StatusCell datasetId={dataset.id} doc={d} />
                <td>{d.wordCount}</td>
                <td>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={d.enabled}
                      disabled={!canManage || toggle.isPending}
                      onChange={() => toggle.mutate(d)}
                    />
                    <span className="visually-hidden">{t("knowledge.enabled")}</span>
                  </label>
                </td>
                <td>
                  {canManage && (
                    <ConfirmButton label={t("common.delete")} onConfirm={() => remove.mutate(d.id)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {docs.data && rows.length === 0 && <p className="empty">{t("knowledge.noDocuments")}</p>}
      <Pager page={page} hasMore={docs.data?.hasMore ?? false} onPage={setPage} />
    </section>
  );
}

function RuleFields({ value, onChange }: { value: ProcessRuleForm; onChange(v: ProcessRuleForm): void }) {
  const t = useT();
  const set = (k: keyof ProcessRuleForm) => (e: { target: { value: string } }) =>
    onChange({ ...value, [k]: e.target.value });
  return (
    <fieldset className="rule" data-testid="process-rule">
      <legend>{t("knowledge.rule")}</legend>
      <label className="check">
        <input
          type="radio"
          name="rule-mode"
          checked={value.mode === "automatic"}
          onChange={() => onChange({ ...value, mode: "automatic" })}
        />
        {t("knowledge.ruleAutomatic")}
      </label>
      <label className="check">
        <input
          type="radio"
          name="rule-mode"
          checked={value.mode === "custom"}
          onChange={() => onChange({ ...value, mode: "custom" })}
        />
        {t("knowledge.ruleCustom")}
      </label>
      {value.mode === "custom" && (
        <div className="row-form">
          <Field label={t("knowledge.separator")} name="separator" hint={t("knowledge.separatorHint")}>
            {(p) => <input {...p} value={value.separator} onChange={set("separator")} maxLength={64} />}
          </Field>
          <Field label={t("knowledge.maxTokens")} name="maxTokens">
            {(p) => (
              <input
                {...p}
                type="number"
                min={50}
                max={4000}
                value={value.maxTokens}
                onChange={set("maxTokens")}
              />
            )}
          </Field>
          <Field label={t("knowledge.overlap")} name="overlap">
            {(p) => <input {...p} type="number" min={0} value={value.overlap} onChange={set("overlap")} />}
          </Field>
        </div>
      )}
    </fieldset>
  );
}

function TextDocument({ datasetId, rule }: { datasetId: string; rule: () => ProcessRule | null }) {
  const t = useT();
  const client = useQueryClient();
  const form = useZodForm(CreateTextDocumentInput);
  const create = useMutation({
    mutationFn: (input: CreateTextDocumentInput) =>
      post<DocumentView>(`/datasets/${datasetId}/documents/text`, input),
    onSuccess: () => client.invalidateQueries({ queryKey: ["documents", datasetId] }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const el = e.currentTarget;
    const processRule = rule();
    if (!processRule) return;
    const fd = new FormData(el);
    const input = form.validate({ name: fd.get("name"), text: fd.get("text"), processRule });
    if (input)
      create.mutate(input, {
        onSuccess: () => el.reset(),
      });
  }
  return (
    <form onSubmit={submit} noValidate className="stack" data-testid="text-document">
      <Field label={t("common.name")} name="name" error={form.errors.name}>
        {(p) => <input {...p} maxLength={255} />}
      </Field>
      <Field label={t("knowledge.text")} name="text" error={form.errors.text}>
        {(p) => <textarea {...p} rows={5} />}
      </Field>
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          {t("knowledge.addText")}
        </button>
      </div>
      <ErrorBanner error={create.error} />
    </form>
  );
}

function AddDocuments({ datasetId }: { datasetId: string }) {
  const t = useT();
  const [ruleForm, setRuleForm] = useState<ProcessRuleForm>(DEFAULT_RULE_FORM);
  const [ruleError, setRuleError] = useState(false);
  const [tab, setTab] = useState<"upload" | "text">("upload");
  // Validated with the contracts schema before anything is sent; an invalid rule sends nothing.
  const rule = () => {
    const parsed = ProcessRule.safeParse(toProcessRule(ruleForm));
    setRuleError(!parsed.success);
    return parsed.success ? parsed.data : null;
  };
  return (
    <section className="card" aria-labelledby="add-documents">
      <h2 id="add-documents">{t("knowledge.addDocuments")}</h2>
      <RuleFields value={ruleForm} onChange={setRuleForm} />
      {ruleError && (
        <p className="banner banner-error" role="alert">
          {t("knowledge.ruleInvalid")}
        </p>
      )}
      <div className="tabs" role="tablist">
        {(["upload", "text"] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={tab === k}
            className={tab === k ? "tab tab-active" : "tab"}
            onClick={() => setTab(k)}
          >
            {t(k === "upload" ? "knowledge.tabUpload" : "knowledge.tabText")}
          </button>
        ))}
      </div>
      {tab === "upload" ? (
        <Uploader datasetId={datasetId} rule={rule} />
      ) : (
        <TextDocument datasetId={datasetId} rule={rule} />
      )}
    </section>
  );
}

function Settings({ dataset }: { dataset: DatasetView }) {
  const t = useT();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const save = useMutation({
    mutationFn: (input: UpdateDatasetInput) => patch<DatasetView>(`/datasets/${dataset.id}`, input),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["dataset", dataset.id] });
      await client.invalidateQueries({ queryKey: ["datasets"] });
      setOpen(false);
    },
  });
  if (!open)
    return (
      <button type="button" className="button-secondary" onClick={() => setOpen(true)}>
        {t("knowledge.settings")}
      </button>
    );
  return (
    <section className="card" aria-labelledby="dataset-settings">
      <h2 id="dataset-settings">{t("knowledge.settings")}</h2>
      <DatasetForm
        initial={dataset}
        pending={save.isPending}
        error={save.error}
        onSubmit={(i) => save.mutate(i)}
      />
    </section>
  );
}

export function DatasetPage({ params }: { params: { id: string } }) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const ds = useQuery({
    queryKey: ["dataset", params.id],
    queryFn: () => get<DatasetView>(`/datasets/${params.id}`),
  });
  if (ds.error) return <ErrorBanner error={ds.error} />;
  if (!ds.data) return <p className="loading">{t("common.loading")}</p>;
  const d = ds.data;
  return (
    <div className="page">
      <div className="page-head">
        <h1 data-testid="dataset-name">{d.name}</h1>
        <span className="actions">
          <PermissionBadge permission={d.permission} />
          <Link href="/knowledge">{t("knowledge.back")}</Link>
          <Link href={`/knowledge/${d.id}/hit-testing`}>{t("knowledge.hitTesting")}</Link>
        </span>
      </div>
      {d.description && <p className="muted">{d.description}</p>}
      {canManage && <Settings dataset={d} />}
      {canManage && <AddDocuments datasetId={d.id} />}
      <Documents dataset={d} />
      <MetadataSection datasetId={d.id} />
    </div>
  );
}
