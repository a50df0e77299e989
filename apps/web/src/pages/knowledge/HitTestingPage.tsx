import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import {
  type DatasetView,
  HitTestingInput,
  type MetadataFilter,
  type RetrievedChunk,
  type SearchMethod,
} from "@enclave/contracts";
import { get, post } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { ErrorBanner, Field, useZodForm } from "../../ui/form.tsx";
import { type ConditionProblem, filterFields, filterProblems } from "./metadata-logic.ts";
import { MetadataFilterEditor } from "./MetadataFilterEditor.tsx";
import { useDatasetMetadata } from "./MetadataSection.tsx";

const METHODS: SearchMethod[] = ["full_text_search", "semantic_search", "hybrid_search"];

export function HitTestingPage({ params }: { params: { id: string } }) {
  const t = useT();
  const ds = useQuery({
    queryKey: ["dataset", params.id],
    queryFn: () => get<DatasetView>(`/datasets/${params.id}`),
  });
  const meta = useDatasetMetadata(params.id);
  const fields = filterFields([meta.data]);
  const [filter, setFilter] = useState<MetadataFilter | null>(null);
  const [problems, setProblems] = useState<Record<number, ConditionProblem>>({});
  const form = useZodForm(HitTestingInput);
  const economy = ds.data?.indexingTechnique === "economy";
  const [method, setMethod] = useState<SearchMethod | "">("");
  const run = useMutation({
    mutationFn: (input: HitTestingInput) =>
      post<{ query: string; records: RetrievedChunk[] }>(`/datasets/${params.id}/hit-testing`, input),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const threshold = String(fd.get("scoreThreshold") ?? "").trim();
    const chosen = economy ? "full_text_search" : method || ds.data?.retrieval.searchMethod;
    const found = filterProblems(filter, fields);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const input = form.validate({
      query: fd.get("query"),
      retrieval: {
        ...(chosen ? { searchMethod: chosen } : {}),
        topK: Number(fd.get("topK")),
        scoreThreshold: threshold === "" ? null : Number(threshold),
        metadataFilter: filter,
      },
    });
    if (input) run.mutate(input);
  }
  if (ds.error) return <ErrorBanner error={ds.error} />;
  const records = run.data?.records ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t("knowledge.hitTesting")}</h1>
        <span className="actions">
          <span className="muted">{ds.data?.name}</span>
          <Link href={`/knowledge/${params.id}`}>{t("knowledge.backToDataset")}</Link>
        </span>
      </div>
      <section className="card">
        <form onSubmit={submit} noValidate className="stack" data-testid="hit-testing">
          <Field label={t("knowledge.query")} name="query" error={form.errors.query}>
            {(p) => <textarea {...p} rows={3} maxLength={2000} />}
          </Field>
          <div className="row-form">
            <Field label={t("knowledge.searchMethod")} name="searchMethod" error={form.errors.retrieval}>
              {(p) => (
                <select
                  {...p}
                  value={
                    economy
                      ? "full_text_search"
                      : method || (ds.data?.retrieval.searchMethod ?? "hybrid_search")
                  }
                  disabled={economy}
                  onChange={(e) => setMethod(e.target.value as SearchMethod)}
                >
                  {METHODS.map((m) => (
                    <option key={m} value={m}>
                      {t(`knowledge.methods.${m}` as MessageKey)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t("knowledge.topK")} name="topK">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={1}
                  max={100}
                  defaultValue={ds.data?.retrieval.topK ?? 4}
                  key={ds.data?.id}
                />
              )}
            </Field>
            <Field
              label={t("knowledge.scoreThreshold")}
              name="scoreThreshold"
              hint={t("knowledge.scoreThresholdHint")}
            >
              {(p) => <input {...p} type="number" min={0} max={1} step={0.05} />}
            </Field>
          </div>
          <MetadataFilterEditor
            fields={fields}
            value={filter}
            problems={problems}
            onChange={(next) => {
              setFilter(next);
              setProblems({});
            }}
          />
          {Object.keys(problems).length > 0 && (
            <p className="banner banner-error" role="alert">
              {t("knowledge.filterInvalid")}
            </p>
          )}
          <div className="actions">
            <button type="submit" disabled={run.isPending}>
              {t("knowledge.test")}
            </button>
          </div>
          <ErrorBanner error={run.error} />
        </form>
      </section>
      {run.data && (
        <section aria-labelledby="hits">
          <h2 id="hits">{t("knowledge.results", { count: records.length })}</h2>
          <ol className="segments" data-testid="hits">
            {records.map((r) => (
              <li key={r.segmentId} className="card segment" data-testid="hit">
                <p className="muted">
                  <span className="badge badge-ok" data-testid="hit-score">
                    {t("knowledge.score", { score: r.score.toFixed(3) })}
                  </span>{" "}
                  <Link href={`/knowledge/${params.id}/documents/${r.documentId}`} data-testid="hit-document">
                    {r.documentName}
                  </Link>{" "}
                  · #{r.position}
                </p>
                {/* Retrieved text is user content: plain text, never parsed as HTML. */}
                <p className="segment-text" data-testid="hit-text">
                  {r.content}
                </p>
                {r.context !== r.content && (
                  <details>
                    <summary>{t("knowledge.context")}</summary>
                    <p className="segment-text">{r.context}</p>
                  </details>
                )}
              </li>
            ))}
          </ol>
          {records.length === 0 && <p className="empty">{t("knowledge.noHits")}</p>}
        </section>
      )}
    </div>
  );
}
