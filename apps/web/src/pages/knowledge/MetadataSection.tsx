import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  CreateMetadataFieldInput,
  type DatasetMetadataField,
  type DatasetMetadataView,
  METADATA_TYPES,
  RenameMetadataFieldInput,
} from "@enclave/contracts";
import { del, get, patch, post } from "../../api/client.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { ConfirmButton } from "../../ui/ConfirmButton.tsx";
import { addAndReset, ErrorBanner, Field, useZodForm } from "../../ui/form.tsx";

/** The dataset's metadata fields, shared by the dataset, document and hit-testing pages. */
export function useDatasetMetadata(datasetId: string) {
  return useQuery({
    queryKey: ["dataset-metadata", datasetId],
    queryFn: () => get<DatasetMetadataView>(`/datasets/${datasetId}/metadata`),
  });
}

function FieldRow({
  base,
  field,
  onChanged,
}: {
  base: string;
  field: DatasetMetadataField;
  onChanged(): void;
}) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const [editing, setEditing] = useState(false);
  const form = useZodForm(RenameMetadataFieldInput);
  const rename = useMutation({
    mutationFn: (input: RenameMetadataFieldInput) => patch(`${base}/${field.id}`, input),
    onSuccess: () => {
      setEditing(false);
      onChanged();
    },
  });
  const remove = useMutation({ mutationFn: () => del(`${base}/${field.id}`), onSettled: onChanged });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = form.validate({ name: new FormData(e.currentTarget).get("name") });
    if (input) rename.mutate(input);
  }
  return (
    <tr data-testid="metadata-field" data-name={field.name}>
      <td>
        {editing ? (
          <form onSubmit={submit} noValidate className="row-form">
            <Field label={t("knowledge.fieldName")} name="name" error={form.errors.name}>
              {(p) => <input {...p} defaultValue={field.name} maxLength={64} />}
            </Field>
            <button type="submit" className="button-small" disabled={rename.isPending}>
              {t("common.save")}
            </button>
            <button type="button" className="button-small button-ghost" onClick={() => setEditing(false)}>
              {t("common.cancel")}
            </button>
          </form>
        ) : (
          <code>{field.name}</code>
        )}
        <ErrorBanner error={rename.error ?? remove.error} />
      </td>
      <td>{t(`knowledge.fieldTypes.${field.type}`)}</td>
      <td>{t("knowledge.docCount", { count: field.count })}</td>
      <td>
        {canManage && !editing && (
          <span className="actions">
            <button type="button" className="button-small button-secondary" onClick={() => setEditing(true)}>
              {t("knowledge.rename")}
            </button>
            <ConfirmButton label={t("common.delete")} onConfirm={() => remove.mutate()} />
          </span>
        )}
      </td>
    </tr>
  );
}

function AddField({ base, onAdded }: { base: string; onAdded(): void }) {
  const t = useT();
  const form = useZodForm(CreateMetadataFieldInput);
  const add = useMutation({ mutationFn: (input: CreateMetadataFieldInput) => post(base, input) });
  const submit = addAndReset(form, (fd) => ({ name: fd.get("name"), type: fd.get("type") }), add, onAdded);
  return (
    <form onSubmit={submit} noValidate className="row-form" data-testid="add-metadata-field">
      <Field
        label={t("knowledge.fieldName")}
        name="name"
        hint={t("knowledge.fieldNameHint")}
        error={form.errors.name}
      >
        {(p) => <input {...p} maxLength={64} />}
      </Field>
      <Field label={t("knowledge.fieldType")} name="type" error={form.errors.type}>
        {(p) => (
          <select {...p} defaultValue="string">
            {METADATA_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(`knowledge.fieldTypes.${type}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="actions">
        <button type="submit" disabled={add.isPending}>
          {t("knowledge.addField")}
        </button>
      </div>
      <ErrorBanner error={add.error} />
    </form>
  );
}

/** Custom fields (name and type) and the built-in switch, on the dataset page. */
export function MetadataSection({ datasetId }: { datasetId: string }) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const client = useQueryClient();
  const meta = useDatasetMetadata(datasetId);
  const base = `/datasets/${datasetId}/metadata`;
  const changed = async () => {
    await client.invalidateQueries({ queryKey: ["dataset-metadata", datasetId] });
    // A rename or delete moves or drops document values.
    await client.invalidateQueries({ queryKey: ["document"] });
  };
  const builtIn = useMutation({
    mutationFn: (on: boolean) => post(`${base}/built-in/${on ? "enable" : "disable"}`),
    onSettled: changed,
  });
  const fields = meta.data?.fields ?? [];
  return (
    <section className="card" aria-labelledby="metadata">
      <h2 id="metadata">{t("knowledge.metadata")}</h2>
      <p className="hint">{t("knowledge.metadataHint")}</p>
      <ErrorBanner error={meta.error ?? builtIn.error} />
      {fields.length > 0 && (
        <div className="table-wrap">
          <table data-testid="metadata-fields">
            <thead>
              <tr>
                <th>{t("knowledge.fieldName")}</th>
                <th>{t("knowledge.fieldType")}</th>
                <th>{t("knowledge.documents")}</th>
                <th>{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <FieldRow key={f.id} base={base} field={f} onChanged={() => void changed()} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {meta.data && fields.length === 0 && <p className="empty">{t("knowledge.metadataNone")}</p>}
      {meta.data && (
        <label className="check">
          <input
            type="checkbox"
            data-testid="builtin-toggle"
            checked={meta.data.builtInEnabled}
            disabled={!canManage || builtIn.isPending}
            onChange={(e) => builtIn.mutate(e.target.checked)}
          />
          {t("knowledge.builtInToggle")}
        </label>
      )}
      {canManage && <AddField base={base} onAdded={() => void changed()} />}
    </section>
  );
}
