import { type FormEvent, type ReactNode, useId, useState } from "react";
import type { z } from "zod";
import { en, type MessageKey } from "../i18n/en.ts";
import { useT } from "../i18n/i18n.tsx";
import { ApiError } from "../api/client.ts";

export type FieldErrors = Record<string, MessageKey>;

// zod's own messages are English; the form shows a translated one chosen by the issue's kind.
export function issueMessage(issue: z.core.$ZodIssue): MessageKey {
  switch (issue.code) {
    case "too_small":
      return issue.minimum === 1 ? "validation.required" : "validation.tooShort";
    case "too_big":
      return "validation.tooLong";
    case "invalid_format":
      return issue.format === "email"
        ? "validation.email"
        : issue.format === "url"
          ? "validation.url"
          : "validation.format";
    case "invalid_type":
      return "validation.required";
    default:
      return "validation.invalid";
  }
}

/** Validates form values with a contracts schema; field errors are keyed by the first path segment. */
export function useZodForm<S extends z.ZodType>(schema: S) {
  const [errors, setErrors] = useState<FieldErrors>({});
  function validate(values: unknown): z.infer<S> | null {
    let result: z.ZodSafeParseResult<z.infer<S>>;
    try {
      result = schema.safeParse(values);
    } catch {
      // A refinement that throws on malformed input (e.g. `new URL` on a non-URL) is still a refusal.
      setErrors({ _form: "validation.invalid" });
      return null;
    }
    if (result.success) {
      setErrors({});
      return result.data;
    }
    const next: FieldErrors = {};
    for (const issue of result.error.issues) {
      const field = String(issue.path[0] ?? "_form");
      next[field] ??= issueMessage(issue);
    }
    setErrors(next);
    // Keyboard users land on the first field that needs fixing.
    queueMicrotask(() => document.querySelector<HTMLElement>("[aria-invalid='true']")?.focus());
    return null;
  }
  return { errors, validate, setErrors };
}

interface FieldProps {
  label: string;
  name: string;
  error?: MessageKey | undefined;
  hint?: string;
  children: (props: {
    id: string;
    name: string;
    "aria-invalid": boolean;
    "aria-describedby"?: string;
  }) => ReactNode;
}

/** A labelled control with its error and hint wired for screen readers. */
export function Field({ label, name, error, hint, children }: FieldProps) {
  const t = useT();
  const id = useId();
  const described = [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        name,
        "aria-invalid": Boolean(error),
        ...(described ? { "aria-describedby": described } : {}),
      })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error" role="alert">
          {t(error)}
        </small>
      )}
    </div>
  );
}

const DETAILED = new Set([
  "validation_failed",
  "conflict",
  "bad_request",
  "provider_not_initialize",
  "secret_reference_not_allowed",
  "invalid_action",
]);

/** Shows an API failure: a translated line for its code, plus the server's detail for input errors. */
export function ErrorBanner({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : "internal_error";
  const key = `errors.${code}` as MessageKey;
  const known = Object.hasOwn(en, key);
  return (
    <div className="banner banner-error" role="alert">
      <span>{known ? t(key) : t("errors.generic")}</span>
      {error instanceof ApiError && DETAILED.has(code) && <small className="detail">{error.message}</small>}
    </div>
  );
}

/** Reads a form's fields as strings (unchecked checkboxes are absent). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(form)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * The submit handler of a form that adds one thing: reads and validates the form's values, runs
 * the mutation, and on success empties the form and tells the caller (which refreshes its list).
 */
export function addAndReset<T>(
  form: { validate(values: unknown): T | null },
  read: (data: FormData) => unknown,
  mutation: { mutate(input: T, opts: { onSuccess(): void }): void },
  onAdded: () => void,
) {
  return (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    const input = form.validate(read(new FormData(el)));
    if (input)
      mutation.mutate(input, {
        onSuccess: () => {
          el.reset();
          onAdded();
        },
      });
  };
}
