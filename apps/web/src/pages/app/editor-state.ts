// The editor's pure core: form-builder edits, prompt variable checks and validation against the
// contracts schema (the same one the server applies), with no React and no I/O.
import {
  AppConfig,
  inputFieldSpec,
  promptVariables,
  type UserInputControl,
  type UserInputField,
  type UserInputSpec,
} from "@enclave/contracts";
import type { MessageKey } from "../../i18n/en.ts";
import { issueMessage } from "../../ui/form.tsx";
import { incompleteConditions } from "../knowledge/metadata-logic.ts";

export { inputFieldSpec, promptVariables };

/** A new control named after `variable`, or the first free `var_n`. */
export function newField(
  control: UserInputControl,
  form: readonly UserInputField[],
  variable?: string,
): UserInputField {
  const taken = new Set(form.map((f) => inputFieldSpec(f).spec.variable));
  let name = variable ?? "";
  for (let n = form.length + 1; !name || taken.has(name); n++) name = `var_${n}`;
  return withControl(
    { "text-input": { label: name, variable: name, required: false, max_length: 256 } },
    control,
  );
}

/** The same control as another kind: label, variable and required survive, the rest resets. */
export function withControl(field: UserInputField, control: UserInputControl): UserInputField {
  const { spec } = inputFieldSpec(field);
  const base = { label: spec.label, variable: spec.variable, required: spec.required };
  switch (control) {
    case "text-input":
      return { "text-input": { ...base, max_length: 256 } };
    case "paragraph":
      return { paragraph: { ...base } };
    case "select":
      return { select: { ...base, options: [] } };
    case "number":
      return { number: { ...base } };
  }
}

/** Changes settings of a control; `undefined` removes an optional one. */
export function updateField(field: UserInputField, patch: Partial<Record<string, unknown>>): UserInputField {
  const { control, spec } = inputFieldSpec(field);
  const next: Record<string, unknown> = { ...spec, ...patch };
  for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
  return { [control]: next } as UserInputField;
}

export function moveField<T>(list: readonly T[], index: number, delta: -1 | 1): T[] {
  const to = index + delta;
  if (to < 0 || to >= list.length) return [...list];
  const next = [...list];
  [next[index], next[to]] = [next[to]!, next[index]!];
  return next;
}

export function removeAt<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** Variables the prompt uses that no control of the form provides. */
export function missingVariables(prompt: string, form: readonly UserInputField[]): string[] {
  const known = new Set(form.map((f) => inputFieldSpec(f).spec.variable));
  return promptVariables(prompt).filter((v) => !known.has(v));
}

export type EditorErrors = Record<string, MessageKey>;

// Field errors keyed by where the editor shows them: `form.<i>.<setting>` for a control,
// `<configKey>` (or `<configKey>.<i>`) for the rest.
export function errorKey(path: readonly PropertyKey[]): string {
  if (path[0] === "userInputForm" && typeof path[1] === "number") {
    return `form.${path[1]}.${String(path[3] ?? path[2] ?? "")}`;
  }
  return path.map(String).join(".");
}

function messageFor(issue: {
  code: string;
  path: readonly PropertyKey[];
  params?: unknown;
}): MessageKey | null {
  const reason = (issue.params as { reason?: string } | undefined)?.reason;
  if (reason === "duplicate_variable") return "editor.form.duplicate";
  if (reason === "default_not_an_option") return "editor.form.defaultNotOption";
  if (reason === "max_below_min") return "editor.form.maxBelowMin";
  if (issue.path.at(-1) === "variable" && issue.code === "invalid_format")
    return "editor.form.variableInvalid";
  if (issue.path.at(-1) === "options" && issue.code === "too_small") return "editor.form.optionsRequired";
  return null;
}

/** Validates a draft config with the contracts schema; null when it is fine. */
export function validateConfig(config: unknown): { config: AppConfig } | { errors: EditorErrors } {
  const result = AppConfig.safeParse(config);
  if (result.success) {
    // The schema lets a condition's value be absent; retrieval would then fail at chat time.
    const missing = incompleteConditions(result.data.datasets.retrieval.metadataFilter);
    if (missing.length === 0) return { config: result.data };
    return {
      errors: Object.fromEntries(
        missing.map((i) => [
          `datasets.retrieval.metadataFilter.conditions.${i}`,
          "knowledge.problem.missingValue",
        ]),
      ),
    };
  }
  const errors: EditorErrors = {};
  for (const issue of result.error.issues) {
    const key = errorKey(issue.path);
    errors[key] ??= messageFor(issue) ?? issueMessage(issue);
  }
  return { errors };
}

/** `""` → undefined, else the number (inputs of type number hand over strings). */
export function numberOrUndefined(value: string): number | undefined {
  if (value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export type { UserInputSpec };
