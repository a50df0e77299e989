import { type ComponentProps, useState } from "react";
import { USER_INPUT_CONTROLS, type UserInputControl, type UserInputField } from "@enclave/contracts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { Field } from "../../ui/form.tsx";
import {
  type EditorErrors,
  inputFieldSpec,
  moveField,
  newField,
  numberOrUndefined,
  removeAt,
  updateField,
  withControl,
} from "./editor-state.ts";

interface Props {
  form: UserInputField[];
  errors: EditorErrors;
  onChange(next: UserInputField[]): void;
}

/** Dify's `user_input_form`: one card per control, reordered with buttons (keyboard-friendly). */
export function InputFormBuilder({ form, errors, onChange }: Props) {
  const t = useT();
  const set = (i: number, field: UserInputField) => onChange(form.map((f, j) => (j === i ? field : f)));
  return (
    <section className="card" aria-labelledby="form-title" data-testid="input-form">
      <h2 id="form-title">{t("editor.form.title")}</h2>
      <p className="hint">{t("editor.form.intro", { example: "{{city}}" })}</p>
      {form.length === 0 && <p className="empty">{t("editor.form.empty")}</p>}
      <ol className="stack form-fields">
        {form.map((field, i) => (
          <FieldCard
            key={i}
            index={i}
            count={form.length}
            field={field}
            errors={errors}
            onChange={(f) => set(i, f)}
            onMove={(d) => onChange(moveField(form, i, d))}
            onRemove={() => onChange(removeAt(form, i))}
          />
        ))}
      </ol>
      <button
        type="button"
        className="button-secondary"
        onClick={() => onChange([...form, newField("text-input", form)])}
      >
        {t("editor.form.add")}
      </button>
    </section>
  );
}

interface CardProps {
  index: number;
  count: number;
  field: UserInputField;
  errors: EditorErrors;
  onChange(f: UserInputField): void;
  onMove(delta: -1 | 1): void;
  onRemove(): void;
}

function FieldCard({ index, count, field, errors, onChange, onMove, onRemove }: CardProps) {
  const t = useT();
  const { control, spec } = inputFieldSpec(field);
  const n = index + 1;
  const err = (prop: string) => errors[`form.${index}.${prop}`];
  const s = spec as Record<string, unknown>;
  const text = (prop: string) => (s[prop] === undefined ? "" : String(s[prop]));
  return (
    <li className="form-field" data-testid="form-field">
      <div className="page-head">
        <h3>{t("editor.form.field", { n })}</h3>
        <div className="actions">
          <button
            type="button"
            className="button-ghost button-small"
            onClick={() => onMove(-1)}
            disabled={index === 0}
            aria-label={t("editor.form.moveUp", { n })}
          >
            ↑
          </button>
          <button
            type="button"
            className="button-ghost button-small"
            onClick={() => onMove(1)}
            disabled={index === count - 1}
            aria-label={t("editor.form.moveDown", { n })}
          >
            ↓
          </button>
          <button type="button" className="button-danger button-small" onClick={onRemove}>
            <span aria-hidden="true">✕ </span>
            <span className="visually-hidden">{t("editor.form.remove", { n })}</span>
          </button>
        </div>
      </div>
      <div className="row-form">
        <Field label={t("editor.form.kind")} name={`f${index}-kind`}>
          {(p) => (
            <select
              {...p}
              value={control}
              onChange={(e) => onChange(withControl(field, e.target.value as UserInputControl))}
            >
              {USER_INPUT_CONTROLS.map((c) => (
                <option key={c} value={c}>
                  {t(`editor.form.kinds.${c}` as MessageKey)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("editor.form.label")} name={`f${index}-label`} error={err("label")}>
          {(p) => (
            <input
              {...p}
              value={spec.label}
              onChange={(e) => onChange(updateField(field, { label: e.target.value }))}
            />
          )}
        </Field>
        <Field label={t("editor.form.variable")} name={`f${index}-variable`} error={err("variable")}>
          {(p) => (
            <input
              {...p}
              value={spec.variable}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => onChange(updateField(field, { variable: e.target.value }))}
            />
          )}
        </Field>
      </div>
      <div className="row-form">
        <label className="check">
          <input
            type="checkbox"
            checked={spec.required}
            onChange={(e) => onChange(updateField(field, { required: e.target.checked }))}
          />
          {t("editor.form.required")}
        </label>
        {(control === "text-input" || control === "paragraph") && (
          <Field label={t("editor.form.maxLength")} name={`f${index}-max_length`} error={err("max_length")}>
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                value={text("max_length")}
                onChange={(e) =>
                  onChange(updateField(field, { max_length: numberOrUndefined(e.target.value) }))
                }
              />
            )}
          </Field>
        )}
        {control === "number" && (
          <>
            <Field label={t("editor.form.min")} name={`f${index}-min`} error={err("min")}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  value={text("min")}
                  onChange={(e) => onChange(updateField(field, { min: numberOrUndefined(e.target.value) }))}
                />
              )}
            </Field>
            <Field label={t("editor.form.max")} name={`f${index}-max`} error={err("max")}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  value={text("max")}
                  onChange={(e) => onChange(updateField(field, { max: numberOrUndefined(e.target.value) }))}
                />
              )}
            </Field>
          </>
        )}
        <Field label={t("editor.form.default")} name={`f${index}-default`} error={err("default")}>
          {(p) => (
            <input
              {...p}
              type={control === "number" ? "number" : "text"}
              value={text("default")}
              onChange={(e) =>
                onChange(
                  updateField(field, {
                    default:
                      control === "number" ? numberOrUndefined(e.target.value) : e.target.value || undefined,
                  }),
                )
              }
            />
          )}
        </Field>
      </div>
      {control === "select" && (
        <Field label={t("editor.form.options")} name={`f${index}-options`} error={err("options")}>
          {(p) => (
            <OptionsInput
              {...p}
              options={s.options as string[]}
              onOptions={(options) => onChange(updateField(field, { options }))}
            />
          )}
        </Field>
      )}
    </li>
  );
}

// Keeps the typed text (blank lines included) while the form gets the cleaned list.
function OptionsInput({
  options,
  onOptions,
  ...rest
}: ComponentProps<"textarea"> & { options: string[]; onOptions(o: string[]): void }) {
  const [text, setText] = useState(options.join("\n"));
  // Another control moved into this slot (reorder, delete): show its options instead.
  if (clean(text).join("\n") !== options.join("\n")) setText(options.join("\n"));
  return (
    <textarea
      {...rest}
      rows={3}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onOptions(clean(e.target.value));
      }}
    />
  );
}

const clean = (text: string) =>
  text
    .split("\n")
    .map((o) => o.trim())
    .filter(Boolean);
