import { type FormEvent, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type AppConfig, type AppView, UpdateAppInput } from "@enclave/contracts";
import { ApiError, patch } from "../../api/client.ts";
import { useT } from "../../i18n/i18n.tsx";
import { ErrorBanner, Field, issueMessage } from "../../ui/form.tsx";
import { AppVersions } from "./AppVersions.tsx";
import {
  type EditorErrors,
  missingVariables,
  newField,
  promptVariables,
  removeAt,
  validateConfig,
} from "./editor-state.ts";
import { InputFormBuilder } from "./InputFormBuilder.tsx";
import { KnowledgeSettings } from "./KnowledgeSettings.tsx";
import { ModelSettings } from "./ModelSettings.tsx";

interface Draft {
  name: string;
  description: string;
  config: AppConfig;
}

const draftOf = (app: AppView): Draft => ({
  name: app.name,
  description: app.description,
  config: app.config,
});

/** The app's draft: prompt, input form, model, knowledge and conversation; saved in one PATCH. */
export function AppEditor({ app, canEdit }: { app: AppView; canEdit: boolean }) {
  const t = useT();
  const client = useQueryClient();
  const [base, setBase] = useState(() => ({ at: app.updatedAt, draft: draftOf(app) }));
  const [draft, setDraft] = useState(base.draft);
  const dirty = JSON.stringify(draft) !== JSON.stringify(base.draft);
  // A newer app from the server becomes the baseline; unsaved edits are kept, never overwritten.
  if (app.updatedAt !== base.at) {
    const next = { at: app.updatedAt, draft: draftOf(app) };
    if (!dirty) setDraft(next.draft);
    setBase(next);
  }
  // A draft the server now holds (saved, or restored from a version) replaces what is on screen.
  const adopt = (next: AppView) => {
    const saved = { at: next.updatedAt, draft: draftOf(next) };
    setBase(saved);
    setDraft(saved.draft);
    client.setQueryData(["app", app.id], next);
  };
  const save = useMutation({
    mutationFn: (input: UpdateAppInput) => patch<AppView>(`/apps/${app.id}`, input),
    onSuccess: adopt,
  });
  const setConfig = (patch: Partial<AppConfig>) => {
    setDraft((d) => ({ ...d, config: { ...d.config, ...patch } }));
    save.reset();
  };
  // After the first save attempt the fields are checked live, so a fixed one clears at once.
  const [tried, setTried] = useState(false);
  const checked = checkDraft(draft);
  const errors = tried ? checked.errors : {};
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setTried(true);
    if (!checked.input) {
      queueMicrotask(() => document.querySelector<HTMLElement>("[aria-invalid='true']")?.focus());
      return;
    }
    save.mutate(checked.input, { onSuccess: () => setTried(false) });
  }
  const c = draft.config;
  const missing = missingVariables(c.prePrompt, c.userInputForm);
  const invalid = Object.keys(errors).length > 0;
  return (
    <form onSubmit={submit} noValidate className="stack editor" aria-label={t("app.editor")}>
      <fieldset disabled={!canEdit} className="stack">
        {!canEdit && <p className="banner">{t("editor.readOnly")}</p>}
        <section className="card" aria-labelledby="editor-title">
          <h2 id="editor-title">{t("app.editor")}</h2>
          <Field label={t("common.name")} name="name" error={errors.name}>
            {(p) => (
              <input
                {...p}
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              />
            )}
          </Field>
          <Field label={t("apps.description")} name="description" error={errors.description}>
            {(p) => (
              <input
                {...p}
                value={draft.description}
                onChange={(e) => setDraft({ ...draft, description: e.target.value })}
              />
            )}
          </Field>
          <Field
            label={t("app.prePrompt")}
            name="prePrompt"
            error={errors.prePrompt}
            hint={t("editor.prompt.hint", { example: "{{city}}" })}
          >
            {(p) => (
              <textarea
                {...p}
                rows={8}
                value={c.prePrompt}
                spellCheck={false}
                onChange={(e) => setConfig({ prePrompt: e.target.value })}
              />
            )}
          </Field>
          <PromptVariables
            prompt={c.prePrompt}
            missing={missing}
            onAdd={(name) =>
              setConfig({
                userInputForm: [...c.userInputForm, newField("text-input", c.userInputForm, name)],
              })
            }
          />
        </section>
        <InputFormBuilder
          form={c.userInputForm}
          errors={errors}
          onChange={(f) => setConfig({ userInputForm: f })}
        />
        <ModelSettings model={c.model} errors={errors} onChange={(model) => setConfig({ model })} />
        <KnowledgeSettings
          value={c.datasets}
          errors={errors}
          onChange={(datasets) => setConfig({ datasets })}
        />
        <Conversation config={c} errors={errors} onChange={setConfig} />
        <div className="actions save-bar">
          {dirty && (
            <span className="badge badge-denied" data-testid="unsaved" role="status">
              {t("editor.unsaved")}
            </span>
          )}
          {invalid && (
            <p className="banner banner-error" role="alert" data-testid="editor-invalid">
              {t("editor.fixErrors")}
            </p>
          )}
          <SaveError error={save.error} />
          {save.isSuccess && !dirty && (
            <p className="banner banner-ok" role="status">
              {t("common.saved")}
            </p>
          )}
          <button type="submit" disabled={save.isPending}>
            {t("app.saveDraft")}
          </button>
        </div>
      </fieldset>
      <AppVersions app={app} canEdit={canEdit} onRestored={adopt} />
    </form>
  );
}

/** The PATCH body when the draft passes the contracts schemas, and the field errors otherwise. */
function checkDraft(draft: Draft): { input: UpdateAppInput | null; errors: EditorErrors } {
  const config = validateConfig(draft.config);
  const input = UpdateAppInput.safeParse({
    name: draft.name,
    description: draft.description,
    ...("config" in config ? { config: config.config } : {}),
  });
  const errors: EditorErrors = "errors" in config ? { ...config.errors } : {};
  if (!input.success) for (const i of input.error.issues) errors[String(i.path[0])] ??= issueMessage(i);
  return { input: input.success && "config" in config ? input.data : null, errors };
}

function SaveError({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  return (
    <div data-testid="save-error">
      <ErrorBanner error={error} />
      <small>
        {t("editor.saveFailed", { code: error instanceof ApiError ? error.code : "internal_error" })}
      </small>
    </div>
  );
}

function PromptVariables({
  prompt,
  missing,
  onAdd,
}: {
  prompt: string;
  missing: string[];
  onAdd(name: string): void;
}) {
  const t = useT();
  const used = promptVariables(prompt);
  return (
    <div className="prompt-vars" data-testid="prompt-variables">
      <h3>{t("editor.prompt.used")}</h3>
      {used.length === 0 && <p className="hint">{t("editor.prompt.none")}</p>}
      <ul className="chips">
        {used.map((v) => (
          <li key={v} className={missing.includes(v) ? "chip chip-warn" : "chip"}>
            <code>{`{{${v}}}`}</code>{" "}
            <small>{missing.includes(v) ? t("editor.prompt.notInForm") : t("editor.prompt.inForm")}</small>
            {missing.includes(v) && (
              <button type="button" className="button-small button-secondary" onClick={() => onAdd(v)}>
                {t("editor.prompt.add", { name: v })}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface ConversationProps {
  config: AppConfig;
  errors: EditorErrors;
  onChange(patch: Partial<AppConfig>): void;
}

function Conversation({ config, errors, onChange }: ConversationProps) {
  const t = useT();
  const qs = config.suggestedQuestions;
  return (
    <section className="card" aria-labelledby="chat-title">
      <h2 id="chat-title">{t("editor.chat.title")}</h2>
      <Field label={t("app.openingStatement")} name="openingStatement" error={errors.openingStatement}>
        {(p) => (
          <textarea
            {...p}
            rows={3}
            value={config.openingStatement}
            onChange={(e) => onChange({ openingStatement: e.target.value })}
          />
        )}
      </Field>
      <h3>{t("editor.chat.suggestions")}</h3>
      <ol className="stack">
        {qs.map((q, i) => (
          <li key={i} className="row-form">
            <Field
              label={t("editor.chat.suggestion", { n: i + 1 })}
              name={`suggestion-${i}`}
              error={errors[`suggestedQuestions.${i}`]}
            >
              {(p) => (
                <input
                  {...p}
                  value={q}
                  onChange={(e) =>
                    onChange({ suggestedQuestions: qs.map((x, j) => (j === i ? e.target.value : x)) })
                  }
                />
              )}
            </Field>
            <button
              type="button"
              className="button-ghost button-small"
              onClick={() => onChange({ suggestedQuestions: removeAt(qs, i) })}
            >
              {t("editor.chat.removeSuggestion", { n: i + 1 })}
            </button>
          </li>
        ))}
      </ol>
      {errors.suggestedQuestions && <p className="field-error">{t(errors.suggestedQuestions)}</p>}
      <button
        type="button"
        className="button-secondary"
        disabled={qs.length >= 10}
        onClick={() => onChange({ suggestedQuestions: [...qs, ""] })}
      >
        {t("editor.chat.addSuggestion")}
      </button>
      <Field label={t("editor.chat.memoryWindow")} name="memoryWindow" error={errors.memoryWindow}>
        {(p) => (
          <input
            {...p}
            type="number"
            min={0}
            max={100}
            value={String(config.memoryWindow)}
            onChange={(e) => onChange({ memoryWindow: e.target.value === "" ? 0 : Number(e.target.value) })}
          />
        )}
      </Field>
    </section>
  );
}
