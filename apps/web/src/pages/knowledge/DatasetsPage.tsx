import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useLocation } from "wouter";
import type { CreateDatasetInput, DatasetView } from "@enclave/contracts";
import { del, get, post, query } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { ConfirmButton } from "../../ui/ConfirmButton.tsx";
import { ErrorBanner } from "../../ui/form.tsx";
import { formatDate } from "../../ui/format.ts";
import { DatasetForm } from "./DatasetForm.tsx";

interface Page<T> {
  data: T[];
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}
export type { Page };

export function PermissionBadge({ permission }: { permission: DatasetView["permission"] }) {
  const { t } = useI18n();
  return (
    <span className="badge" data-testid="permission-badge">
      {t(`knowledge.permissions.${permission}` as MessageKey)}
    </span>
  );
}

function CreateDataset() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const create = useMutation({
    mutationFn: (input: CreateDatasetInput) => post<DatasetView>("/datasets", input),
    onSuccess: async (ds) => {
      await client.invalidateQueries({ queryKey: ["datasets"] });
      navigate(`/knowledge/${ds.id}`);
    },
  });
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {t("knowledge.create")}
      </button>
    );
  return (
    <section className="card" aria-labelledby="create-dataset">
      <h2 id="create-dataset">{t("knowledge.create")}</h2>
      <DatasetForm
        pending={create.isPending}
        error={create.error}
        onSubmit={(input) => create.mutate(input as CreateDatasetInput)}
      />
    </section>
  );
}

export function DatasetsPage() {
  const { t, locale } = useI18n();
  const canManage = useCan("dataset.manage");
  const client = useQueryClient();
  const [keyword, setKeyword] = useState("");
  const [page, setPage] = useState(1);
  const list = useQuery({
    queryKey: ["datasets", keyword.trim(), page],
    queryFn: () => get<Page<DatasetView>>(`/datasets${query({ keyword: keyword.trim(), page, limit: 20 })}`),
  });
  const remove = useMutation({
    mutationFn: (id: string) => del(`/datasets/${id}`),
    onSettled: () => client.invalidateQueries({ queryKey: ["datasets"] }),
  });
  const rows = list.data?.data ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t("knowledge.title")}</h1>
        <label className="search">
          <span className="visually-hidden">{t("knowledge.search")}</span>
          <input
            type="search"
            placeholder={t("knowledge.search")}
            value={keyword}
            onChange={(e) => {
              setKeyword(e.target.value);
              setPage(1);
            }}
          />
        </label>
      </div>
      {canManage && <CreateDataset />}
      <ErrorBanner error={list.error ?? remove.error} />
      <ul className="cards" data-testid="datasets">
        {rows.map((d) => (
          <li key={d.id} className="card app-card" data-testid="dataset-card">
            <h3>
              <Link href={`/knowledge/${d.id}`}>{d.name}</Link>
            </h3>
            <p className="muted">{d.description}</p>
            <p>
              <PermissionBadge permission={d.permission} />{" "}
              <span className="badge">{t(`knowledge.techniques.${d.indexingTechnique}` as MessageKey)}</span>{" "}
              <span className="badge" data-testid="doc-count">
                {t("knowledge.docCount", { count: d.documentCount })}
              </span>
            </p>
            <small className="muted">
              {t("knowledge.updated", { when: formatDate(d.updatedAt, locale) })}
            </small>
            {canManage && (
              <div className="actions">
                <ConfirmButton label={t("common.delete")} onConfirm={() => remove.mutate(d.id)} />
              </div>
            )}
          </li>
        ))}
      </ul>
      {list.data && rows.length === 0 && <p className="empty">{t("knowledge.none")}</p>}
      <Pager page={page} hasMore={list.data?.hasMore ?? false} onPage={setPage} />
    </div>
  );
}

export function Pager({
  page,
  hasMore,
  onPage,
}: {
  page: number;
  hasMore: boolean;
  onPage(p: number): void;
}) {
  const { t } = useI18n();
  if (page === 1 && !hasMore) return null;
  return (
    <nav className="actions" aria-label={t("knowledge.pagination")}>
      <button
        type="button"
        className="button-small button-ghost"
        disabled={page <= 1}
        onClick={() => onPage(page - 1)}
      >
        {t("knowledge.prev")}
      </button>
      <span className="muted">{t("knowledge.pageN", { page })}</span>
      <button
        type="button"
        className="button-small button-ghost"
        disabled={!hasMore}
        onClick={() => onPage(page + 1)}
      >
        {t("knowledge.next")}
      </button>
    </nav>
  );
}
