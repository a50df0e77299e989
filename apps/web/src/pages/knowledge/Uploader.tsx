import { type DragEvent, useReducer, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { DocumentView, ProcessRule } from "@enclave/contracts";
import { ApiError } from "../../api/client.ts";
import { uploadFile } from "../../api/upload.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { percent, uploadReducer } from "./logic.ts";

let seq = 0;

/**
 * Drag-and-drop or pick several files; each is uploaded on its own request with its own progress
 * bar, so one refused file (wrong type, too large) fails alone and the others go on.
 */
export function Uploader({ datasetId, rule }: { datasetId: string; rule: () => ProcessRule | null }) {
  const t = useT();
  const client = useQueryClient();
  const [items, dispatch] = useReducer(uploadReducer, []);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  function start(files: FileList | null) {
    const processRule = rule();
    if (!files || files.length === 0 || !processRule) return;
    const batch = [...files].map((file) => ({ key: `u${++seq}`, file }));
    dispatch({
      type: "add",
      items: batch.map(({ key, file }) => ({ key, name: file.name, size: file.size })),
    });
    for (const { key, file } of batch) {
      uploadFile<DocumentView>(`/datasets/${datasetId}/documents/upload`, file, { processRule }, (p) =>
        dispatch({ type: "progress", key, loaded: p.loaded }),
      )
        .then((doc) => dispatch({ type: "done", key, documentId: doc.id }))
        .catch((err: unknown) =>
          dispatch({
            type: "fail",
            key,
            error: err instanceof ApiError ? err.message : t("errors.generic"),
          }),
        )
        .finally(() => void client.invalidateQueries({ queryKey: ["documents", datasetId] }));
    }
  }

  function drop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    start(e.dataTransfer.files);
  }

  return (
    <div className="stack">
      <div
        className={over ? "dropzone dropzone-over" : "dropzone"}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>{t("knowledge.dropHint")}</p>
        <button type="button" className="button-secondary" onClick={() => input.current?.click()}>
          {t("knowledge.chooseFiles")}
        </button>
        <input
          ref={input}
          type="file"
          multiple
          className="visually-hidden"
          data-testid="file-input"
          aria-label={t("knowledge.chooseFiles")}
          accept=".txt,.md,.markdown,.html,.htm,.pdf,.docx,.csv,.json"
          onChange={(e) => {
            start(e.currentTarget.files);
            e.currentTarget.value = "";
          }}
        />
      </div>
      {items.length > 0 && (
        <ul className="uploads" data-testid="uploads">
          {items.map((i) => (
            <li key={i.key} data-testid="upload-item" data-phase={i.phase}>
              <span className="upload-name">{i.name}</span>
              <progress max={100} value={percent(i.loaded, i.size)} aria-label={i.name} />
              <span className="muted">{t(`knowledge.upload.${i.phase}` as MessageKey)}</span>
              {i.error && (
                <small className="field-error" role="alert">
                  {i.error}
                </small>
              )}
            </li>
          ))}
        </ul>
      )}
      {items.some((i) => i.phase === "uploaded" || i.phase === "failed") && (
        <button
          type="button"
          className="button-small button-ghost"
          onClick={() => dispatch({ type: "clear" })}
        >
          {t("knowledge.clearUploads")}
        </button>
      )}
    </div>
  );
}
