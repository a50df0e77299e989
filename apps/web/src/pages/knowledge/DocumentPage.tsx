import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import {
  CreateSegmentInput,
  type DocumentView,
  type SegmentView,
  UpdateSegmentInput,
} from "@enclave/contracts";
import { del, get, patch, post, query } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { ConfirmButton } from "../../ui/ConfirmButton.tsx";
import { addAndReset, ErrorBanner, Field, useZodForm } from "../../ui/form.tsx";
import { type Page, Pager } from "./DatasetsPage.tsx";
import { DocumentMetadata } from "./DocumentMetadata.tsx";

function Segment({ base, seg, onChanged }: { base: string; seg: SegmentView; onChanged(): void }) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const [editing, setEditing] = useState(false);
  const form = useZodForm(UpdateSegmentInput);
  const save = useMutation({
    mutationFn: (input: UpdateSegmentInput) => patch<SegmentView>(`${base}/${seg.id}`, input),
    onSuccess: () => {
      setEditing(false);
      onChanged();
    },
  });
  const toggle = useMutation({
    mutationFn: () => post(`${base}/${seg.id}/${seg.enabled ? "disable" : "enable"}`),
    onSettled: onChanged,
  });
  const remove = useMutation({ mutationFn: () => del(`${base}/${seg.id}`), onSettled: onChanged });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate({ content: new FormData(e.currentTarget).get("content") });
    if (input) save.mutate(input);
  }
  return (
    <li
      className={seg.enabled ? "card segment" : "card segment segment-off"}
      data-testid="segment"
      data-role={seg.role}
    >
      <p className="muted">
        #{seg.position} · {t(`knowledge.roles.${seg.role}` as MessageKey)} ·{" "}
        {t("knowledge.segmentMeta", { tokens: seg.tokens, hits: seg.hitCount })}
        {!seg.enabled && <span className="badge"> {t("knowledge.disabled")}</span>}
      </p>
      {editing ? (
        <form onSubmit={submit} noValidate className="stack">
          <Field label={t("knowledge.chunkText")} name="content" error={form.errors.content}>
            {(p) => <textarea {...p} defaultValue={seg.content} rows={6} />}
          </Field>
          <div className="actions">
            <button type="submit" disabled={save.isPending}>
              {t("knowledge.saveReindex")}
            </button>
            <button type="button" className="button-ghost" onClick={() => setEditing(false)}>
              {t("common.cancel")}
            </button>
          </div>
        </form>
      ) : (
        // Chunk text is user content: plain text in a <pre>-like block, never markup.
        <p className="segment-text" data-testid="segment-text">
          {seg.content}
        </p>
      )}
      <ErrorBanner error={save.error ?? toggle.error ?? remove.error} />
      {canManage && !editing && (
        <div className="actions">
          <button type="button" className="button-small button-secondary" onClick={() => setEditing(true)}>
            {t("knowledge.edit")}
          </button>
          <button type="button" className="button-small button-ghost" onClick={() => toggle.mutate()}>
            {seg.enabled ? t("knowledge.disable") : t("knowledge.enable")}
          </button>
          <ConfirmButton label={t("common.delete")} onConfirm={() => remove.mutate()} />
        </div>
      )}
    </li>
  );
}

function AddSegment({ base, onAdded }: { base: string; onAdded(): void }) {
  const t = useT();
  const form = useZodForm(CreateSegmentInput);
  const add = useMutation({ mutationFn: (input: CreateSegmentInput) => post<SegmentView>(base, input) });
  const submit = addAndReset(form, (fd) => ({ content: fd.get("content") }), add, onAdded);
  return (
    <form onSubmit={submit} noValidate className="stack card" data-testid="add-segment">
      <Field label={t("knowledge.newChunk")} name="content" error={form.errors.content}>
        {(p) => <textarea {...p} rows={3} />}
      </Field>
      <div className="actions">
        <button type="submit" disabled={add.isPending}>
          {t("knowledge.addChunk")}
        </button>
      </div>
      <ErrorBanner error={add.error} />
    </form>
  );
}

/** Parent-child documents: each parent with its child chunks under it (children of a parent on this page). */
function group(rows: SegmentView[]): { seg: SegmentView; children: SegmentView[] }[] {
  const parents = rows.filter((r) => r.role !== "child");
  const byParent = new Map<string, SegmentView[]>();
  for (const r of rows)
    if (r.role === "child" && r.parentId) byParent.set(r.parentId, [...(byParent.get(r.parentId) ?? []), r]);
  const orphans = rows.filter((r) => r.role === "child" && !parents.some((p) => p.id === r.parentId));
  return [
    ...parents.map((seg) => ({ seg, children: byParent.get(seg.id) ?? [] })),
    ...orphans.map((seg) => ({ seg, children: [] })),
  ];
}

export function DocumentPage({ params }: { params: { id: string; documentId: string } }) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [keyword, setKeyword] = useState("");
  const docPath = `/datasets/${params.id}/documents/${params.documentId}`;
  const base = `${docPath}/segments`;
  const doc = useQuery({
    queryKey: ["document", params.documentId],
    queryFn: () => get<DocumentView>(docPath),
  });
  const segs = useQuery({
    queryKey: ["segments", params.documentId, page, keyword.trim()],
    queryFn: () => get<Page<SegmentView>>(`${base}${query({ page, limit: 20, keyword: keyword.trim() })}`),
  });
  const changed = () => void client.invalidateQueries({ queryKey: ["segments", params.documentId] });
  if (doc.error) return <ErrorBanner error={doc.error} />;
  const rows = segs.data?.data ?? [];
  const hierarchical = doc.data?.docForm === "hierarchical_model";
  return (
    <div className="page">
      <div className="page-head">
        <h1 data-testid="document-name">{doc.data?.name ?? t("common.loading")}</h1>
        <span className="actions">
          <Link href={`/knowledge/${params.id}`}>{t("knowledge.backToDataset")}</Link>
          <label className="search">
            <span className="visually-hidden">{t("knowledge.searchChunks")}</span>
            <input
              type="search"
              placeholder={t("knowledge.searchChunks")}
              value={keyword}
              onChange={(e) => {
                setKeyword(e.target.value);
                setPage(1);
              }}
            />
          </label>
        </span>
      </div>
      {doc.data && (
        <p className="muted">
          {t(`knowledge.status.${doc.data.status}` as MessageKey)} ·{" "}
          {t("knowledge.chunksProgress", { done: doc.data.progress.done, total: doc.data.progress.total })} ·{" "}
          {hierarchical ? t("knowledge.parentChild") : t("knowledge.general")}
        </p>
      )}
      {doc.data && <DocumentMetadata doc={doc.data} />}
      <ErrorBanner error={segs.error} />
      <ul className="segments" data-testid="segments">
        {hierarchical
          ? group(rows).map(({ seg, children }) => (
              <li key={seg.id} className="segment-group">
                <ul className="segments">
                  <Segment base={base} seg={seg} onChanged={changed} />
                </ul>
                {children.length > 0 && (
                  <ul className="segments segment-children">
                    {children.map((c) => (
                      <Segment key={c.id} base={base} seg={c} onChanged={changed} />
                    ))}
                  </ul>
                )}
              </li>
            ))
          : rows.map((s) => <Segment key={s.id} base={base} seg={s} onChanged={changed} />)}
      </ul>
      {segs.data && rows.length === 0 && <p className="empty">{t("knowledge.noChunks")}</p>}
      <Pager page={page} hasMore={segs.data?.hasMore ?? false} onPage={setPage} />
      {canManage && <AddSegment base={base} onAdded={changed} />}
    </div>
  );
}
