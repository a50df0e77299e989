import { useQueries, useQuery } from "@tanstack/react-query";
import type {
  AppDatasetsConfig,
  DatasetMetadataView,
  DatasetView,
  RetrievalSettings,
} from "@enclave/contracts";
import { get } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { Field } from "../../ui/form.tsx";
import { type ConditionProblem, filterFields, filterProblems } from "../knowledge/metadata-logic.ts";
import { MetadataFilterEditor } from "../knowledge/MetadataFilterEditor.tsx";
import { type EditorErrors, numberOrUndefined } from "./editor-state.ts";

const METHODS = ["full_text_search", "semantic_search", "hybrid_search"] as const;

/** Semantic and hybrid search need embeddings in every chosen dataset (economy is full text only). */
export function methodsFor(chosen: readonly DatasetView[]): readonly string[] {
  return chosen.every((d) => d.indexingTechnique === "high_quality") ? METHODS : ["full_text_search"];
}

interface Props {
  value: AppDatasetsConfig;
  errors: EditorErrors;
  onChange(next: AppDatasetsConfig): void;
}

export function KnowledgeSettings({ value, errors, onChange }: Props) {
  const t = useT();
  // Only datasets the caller may read come back; the server refuses to attach any other.
  const datasets = useQuery({
    queryKey: ["datasets", "attachable"],
    queryFn: () => get<{ data: DatasetView[] }>("/datasets?limit=100"),
  });
  const visible = datasets.data?.data ?? [];
  const chosen = visible.filter((d) => value.datasetIds.includes(d.id));
  const hidden = datasets.data
    ? value.datasetIds.filter((id) => !visible.some((d) => d.id === id)).length
    : 0;
  const allowed = methodsFor(chosen);
  // Filterable fields: those of every chosen dataset (a condition on a missing field matches nothing).
  const metas = useQueries({
    queries: chosen.map((d) => ({
      queryKey: ["dataset-metadata", d.id],
      queryFn: () => get<DatasetMetadataView>(`/datasets/${d.id}/metadata`),
    })),
  });
  const fields = filterFields(metas.map((m) => m.data));
  const loaded = hidden === 0 && metas.every((m) => m.data);
  const r = value.retrieval;
  const setR = (patch: Partial<RetrievalSettings>) => onChange({ ...value, retrieval: { ...r, ...patch } });
  // Fields of datasets the caller cannot see are unknown here: only judge when all are loaded.
  const problems: Record<number, ConditionProblem> = loaded ? filterProblems(r.metadataFilter, fields) : {};
  (r.metadataFilter?.conditions ?? []).forEach((_, i) => {
    if (errors[`datasets.retrieval.metadataFilter.conditions.${i}`]) problems[i] ??= "missingValue";
  });
  function toggle(id: string, on: boolean) {
    const ids = on ? [...value.datasetIds, id] : value.datasetIds.filter((d) => d !== id);
    onChange({ ...value, datasetIds: ids });
  }
  return (
    <section className="card" aria-labelledby="knowledge-title">
      <h2 id="knowledge-title">{t("editor.knowledge.title")}</h2>
      {datasets.isFetched && visible.length === 0 && <p className="empty">{t("editor.knowledge.none")}</p>}
      <ul className="stack" data-testid="datasets">
        {visible.map((d) => (
          <li key={d.id}>
            <label className="check">
              <input
                type="checkbox"
                checked={value.datasetIds.includes(d.id)}
                onChange={(e) => toggle(d.id, e.target.checked)}
              />
              {d.name}{" "}
              <small className="muted">{t("editor.knowledge.docs", { count: d.documentCount })}</small>
            </label>
          </li>
        ))}
      </ul>
      {hidden > 0 && <p className="hint">{t("editor.knowledge.hidden", { count: hidden })}</p>}
      {errors.datasets && <p className="field-error">{t(errors.datasets)}</p>}
      {value.datasetIds.length > 0 && (
        <div className="row-form">
          <Field
            label={t("editor.knowledge.searchMethod")}
            name="searchMethod"
            {...(allowed.length < METHODS.length ? { hint: t("editor.knowledge.needsEmbeddings") } : {})}
          >
            {(p) => (
              <select
                {...p}
                value={r.searchMethod ?? ""}
                onChange={(e) =>
                  setR({ searchMethod: (e.target.value || undefined) as RetrievalSettings["searchMethod"] })
                }
              >
                <option value="">{t("editor.knowledge.method.default")}</option>
                {METHODS.map((m) => (
                  <option key={m} value={m} disabled={!allowed.includes(m) && r.searchMethod !== m}>
                    {t(`editor.knowledge.method.${m}` as MessageKey)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("editor.knowledge.topK")} name="topK" error={errors["datasets.retrieval.topK"]}>
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                max={100}
                value={String(r.topK)}
                onChange={(e) => setR({ topK: numberOrUndefined(e.target.value) ?? 0 })}
              />
            )}
          </Field>
          <Field
            label={t("editor.knowledge.scoreThreshold")}
            name="scoreThreshold"
            hint={t("editor.knowledge.scoreHint")}
            error={errors["datasets.retrieval.scoreThreshold"]}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                min={0}
                max={1}
                step={0.05}
                value={r.scoreThreshold === null ? "" : String(r.scoreThreshold)}
                onChange={(e) => setR({ scoreThreshold: numberOrUndefined(e.target.value) ?? null })}
              />
            )}
          </Field>
          {r.searchMethod === "hybrid_search" && (
            <Field label={t("editor.knowledge.hybridMethod")} name="hybridMethod">
              {(p) => (
                <select
                  {...p}
                  value={r.hybridMethod}
                  onChange={(e) =>
                    setR({ hybridMethod: e.target.value as RetrievalSettings["hybridMethod"] })
                  }
                >
                  <option value="weighted_score">{t("editor.knowledge.hybrid.weighted_score")}</option>
                  <option value="rrf">{t("editor.knowledge.hybrid.rrf")}</option>
                </select>
              )}
            </Field>
          )}
          {r.searchMethod === "hybrid_search" && r.hybridMethod === "weighted_score" && (
            <Field
              label={t("editor.knowledge.vectorWeight")}
              name="vectorWeight"
              error={errors["datasets.retrieval.vectorWeight"]}
            >
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  max={1}
                  step={0.05}
                  value={String(r.vectorWeight)}
                  onChange={(e) => setR({ vectorWeight: numberOrUndefined(e.target.value) ?? 0 })}
                />
              )}
            </Field>
          )}
        </div>
      )}
      {value.datasetIds.length > 0 && (
        <MetadataFilterEditor
          fields={fields}
          value={r.metadataFilter}
          problems={problems}
          onChange={(metadataFilter) => setR({ metadataFilter })}
        />
      )}
    </section>
  );
}
