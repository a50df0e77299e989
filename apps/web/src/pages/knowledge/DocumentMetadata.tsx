import { type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type DocumentView, SetDocumentMetadataInput } from "@enclave/contracts";
import { api } from "../../api/client.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { ErrorBanner, useZodForm } from "../../ui/form.tsx";
import { inputValue, storedInput } from "./metadata-logic.ts";
import { useDatasetMetadata } from "./MetadataSection.tsx";

const INPUT_TYPE = { string: "text", number: "number", time: "datetime-local" } as const;

/** One document's custom metadata values, typed by field; an emptied input clears the value. */
export function DocumentMetadata({ doc }: { doc: DocumentView }) {
  const t = useT();
  const canManage = useCan("dataset.manage");
  const client = useQueryClient();
  const meta = useDatasetMetadata(doc.datasetId);
  const form = useZodForm(SetDocumentMetadataInput);
  const save = useMutation({
    mutationFn: (input: SetDocumentMetadataInput) =>
      api<DocumentView>("PUT", `/datasets/${doc.datasetId}/documents/${doc.id}/metadata`, input),
    onSuccess: async (next) => {
      client.setQueryData(["document", doc.id], next);
      await client.invalidateQueries({ queryKey: ["dataset-metadata", doc.datasetId] });
    },
  });
  const fields = meta.data?.fields ?? [];
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const input = form.validate({
      values: fields.map((f) => ({
        fieldId: f.id,
        name: f.name,
        value: storedInput(f.type, String(fd.get(`meta-${f.id}`) ?? "")),
      })),
    });
    if (input) save.mutate(input);
  }
  return (
    <section className="card" aria-labelledby="document-metadata">
      <h2 id="document-metadata">{t("knowledge.metadata")}</h2>
      <ErrorBanner error={meta.error} />
      {meta.data && fields.length === 0 && <p className="empty">{t("knowledge.noFieldsYet")}</p>}
      {fields.length > 0 && (
        // Keyed by the saved values so a save or a rename elsewhere resets the inputs.
        <form
          key={JSON.stringify(doc.metadata) + fields.map((f) => f.name).join()}
          onSubmit={submit}
          noValidate
          className="stack"
          data-testid="document-metadata"
        >
          <div className="row-form">
            {fields.map((f) => (
              <label key={f.id} className="field">
                <span>
                  <code>{f.name}</code> <small className="muted">{t(`knowledge.fieldTypes.${f.type}`)}</small>
                </span>
                <input
                  name={`meta-${f.id}`}
                  aria-label={f.name}
                  type={INPUT_TYPE[f.type]}
                  step={f.type === "number" ? "any" : undefined}
                  maxLength={f.type === "string" ? 1000 : undefined}
                  defaultValue={inputValue(f.type, doc.metadata[f.name])}
                  readOnly={!canManage}
                />
              </label>
            ))}
          </div>
          {form.errors.values && (
            <p className="field-error" role="alert">
              {t(form.errors.values)}
            </p>
          )}
          {canManage && (
            <div className="actions">
              <button type="submit" disabled={save.isPending}>
                {t("knowledge.saveMetadata")}
              </button>
              {save.isSuccess && <span className="muted">{t("common.saved")}</span>}
            </div>
          )}
          <ErrorBanner error={save.error} />
        </form>
      )}
    </section>
  );
}
