import { type FormEvent, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import {
  CreateDatasetInput,
  DATASET_PERMISSIONS,
  type DatasetPermission,
  type DatasetView,
  type IndexingTechnique,
  type ModelProviderView,
  UpdateDatasetInput,
} from "@enclave/contracts";
import { get } from "../../api/client.ts";
import type { MemberView } from "../../api/types.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { ErrorBanner, Field, useZodForm } from "../../ui/form.tsx";

/** "providerId|model" for the picker; a model name may contain anything but the id cannot. */
const modelKey = (providerId: string, name: string) => `${providerId}|${name}`;

function useEmbeddingModels() {
  const canRead = useCan("model_provider.read");
  return useQuery({
    queryKey: ["model-providers"],
    queryFn: () => get<{ data: ModelProviderView[] }>("/workspaces/current/model-providers"),
    enabled: canRead,
    select: (r) =>
      r.data.flatMap((p) =>
        p.models
          .filter((m) => m.type === "text-embedding")
          .map((m) => ({
            key: modelKey(p.id, m.name),
            label: `${p.name} · ${m.name}`,
            providerId: p.id,
            name: m.name,
          })),
      ),
  });
}

function useMembers(enabled: boolean) {
  const canRead = useCan("member.read");
  return useQuery({
    queryKey: ["members"],
    queryFn: () => get<{ data: MemberView[] }>("/workspaces/current/members"),
    enabled: enabled && canRead,
  });
}

/**
 * Create or edit a dataset: name, description, who sees it (with a member picker for
 * partial_members) and the indexing technique (with an embedding model for high_quality).
 */
export function DatasetForm({
  initial,
  pending,
  error,
  onSubmit,
}: {
  initial?: DatasetView;
  pending: boolean;
  error: unknown;
  onSubmit(input: CreateDatasetInput | UpdateDatasetInput): void;
}) {
  const t = useT();
  const form = useZodForm(initial ? UpdateDatasetInput : CreateDatasetInput);
  const [permission, setPermission] = useState<DatasetPermission>(initial?.permission ?? "only_me");
  const [technique, setTechnique] = useState<IndexingTechnique>(initial?.indexingTechnique ?? "economy");
  const [memberIds, setMemberIds] = useState<string[]>(initial?.memberIds ?? []);
  const models = useEmbeddingModels();
  const members = useMembers(permission === "partial_members");
  const initialModel = initial?.embeddingModel
    ? modelKey(initial.embeddingModel.providerId, initial.embeddingModel.name)
    : "";

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const picked = models.data?.find((m) => m.key === fd.get("embeddingModel"));
    const values = {
      name: String(fd.get("name") ?? ""),
      description: String(fd.get("description") ?? ""),
      permission,
      indexingTechnique: technique,
      ...(technique === "high_quality"
        ? { embeddingModel: picked ? { providerId: picked.providerId, name: picked.name } : null }
        : initial
          ? {}
          : { embeddingModel: null }),
      ...(permission === "partial_members" ? { memberIds } : {}),
    };
    if (technique === "high_quality" && !picked) {
      form.setErrors({ embeddingModel: "validation.required" });
      return;
    }
    const input = form.validate(values);
    if (input) onSubmit(input);
  }

  return (
    <form onSubmit={submit} noValidate className="stack" data-testid="dataset-form">
      <Field label={t("common.name")} name="name" error={form.errors.name}>
        {(p) => <input {...p} defaultValue={initial?.name ?? ""} maxLength={100} />}
      </Field>
      <Field label={t("knowledge.description")} name="description" error={form.errors.description}>
        {(p) => <textarea {...p} defaultValue={initial?.description ?? ""} rows={2} maxLength={2000} />}
      </Field>
      <Field label={t("knowledge.permission")} name="permission" error={form.errors.permission}>
        {(p) => (
          <select
            {...p}
            value={permission}
            onChange={(e) => setPermission(e.target.value as DatasetPermission)}
          >
            {DATASET_PERMISSIONS.map((perm) => (
              <option key={perm} value={perm}>
                {t(`knowledge.permissions.${perm}` as MessageKey)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {permission === "partial_members" && (
        <fieldset className="member-picker" data-testid="member-picker">
          <legend>{t("knowledge.members")}</legend>
          {members.data?.data.map((m) => (
            <label key={m.accountId} className="check">
              <input
                type="checkbox"
                checked={memberIds.includes(m.accountId)}
                onChange={(e) =>
                  setMemberIds((ids) =>
                    e.target.checked ? [...ids, m.accountId] : ids.filter((id) => id !== m.accountId),
                  )
                }
              />
              {m.name} <span className="muted">{m.email}</span>
            </label>
          ))}
          {!members.data && <p className="muted">{t("knowledge.membersUnavailable")}</p>}
        </fieldset>
      )}
      <Field label={t("knowledge.technique")} name="indexingTechnique" error={form.errors.indexingTechnique}>
        {(p) => (
          <select
            {...p}
            value={technique}
            onChange={(e) => setTechnique(e.target.value as IndexingTechnique)}
            disabled={initial?.indexingTechnique === "high_quality"}
          >
            <option value="economy">{t("knowledge.techniques.economy")}</option>
            <option value="high_quality">{t("knowledge.techniques.high_quality")}</option>
          </select>
        )}
      </Field>
      {technique === "high_quality" && (
        <Field label={t("knowledge.embeddingModel")} name="embeddingModel" error={form.errors.embeddingModel}>
          {(p) => (
            <select {...p} defaultValue={initialModel}>
              <option value="">{t("knowledge.chooseModel")}</option>
              {models.data?.map((m) => (
                <option key={m.key} value={m.key}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <div className="actions">
        <button type="submit" disabled={pending}>
          {initial ? t("common.save") : t("knowledge.createSubmit")}
        </button>
      </div>
      <ErrorBanner error={error} />
    </form>
  );
}
