import { PROMPT_VARIABLE, type UserInputField } from "@enclave/contracts";
import { AppError } from "../errors/app-error.ts";

type Control = "text-input" | "paragraph" | "select" | "number";

function describe(field: UserInputField): { control: Control; spec: Record<string, unknown> } {
  const control = Object.keys(field)[0] as Control;
  return { control, spec: (field as Record<string, Record<string, unknown>>)[control]! };
}

/**
 * Checks the caller's `inputs` against the app's form and returns the values the prompt may use:
 * defaults filled in, numbers as numbers, unknown keys dropped (Dify ignores them too).
 * Throws `validation_failed` naming the variable.
 */
export function validateInputs(
  form: readonly UserInputField[],
  raw: Record<string, unknown>,
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const field of form) {
    const { control, spec } = describe(field);
    const name = spec.variable as string;
    const label = spec.label as string;
    let value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (value === null || value === "") value = undefined;
    if (value === undefined && spec.default !== undefined) value = spec.default;
    if (value === undefined) {
      if (spec.required === true) throw bad(`${label} (${name}) is required in inputs`);
      continue;
    }
    if (control === "number") {
      const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw bad(`${name} must be a number`);
      if (typeof spec.min === "number" && n < spec.min) throw bad(`${name} must be at least ${spec.min}`);
      if (typeof spec.max === "number" && n > spec.max) throw bad(`${name} must be at most ${spec.max}`);
      out[name] = n;
      continue;
    }
    if (typeof value !== "string") throw bad(`${name} must be a string`);
    if (control === "select") {
      if (!(spec.options as string[]).includes(value)) throw bad(`${name} must be one of the form's options`);
    } else if (typeof spec.max_length === "number" && [...value].length > spec.max_length) {
      throw bad(`${name} must be at most ${spec.max_length} characters`);
    }
    out[name] = value;
  }
  return out;
}

function bad(message: string): AppError {
  return new AppError("validation_failed", message);
}

/**
 * Fills `{{variable}}` placeholders from `values`; unknown ones become empty. Values are inserted
 * once and never re-scanned, so an input containing `{{other}}` stays literal text.
 */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(PROMPT_VARIABLE, (_m, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : "",
  );
}
