import type { UserInputField } from "@enclave/contracts";
import { useI18n } from "../../i18n/i18n.tsx";

/** The field's kind and settings, whichever of Dify's four shapes it has. */
export function describeField(f: UserInputField) {
  if ("text-input" in f) return { kind: "text" as const, ...f["text-input"] };
  if ("paragraph" in f) return { kind: "paragraph" as const, ...f.paragraph };
  if ("select" in f) return { kind: "select" as const, ...f.select };
  return { kind: "number" as const, ...f.number };
}

/** Initial values: each field's default, or empty. */
export function initialInputs(fields: UserInputField[]): Record<string, string> {
  return Object.fromEntries(
    fields.map((f) => {
      const d = describeField(f);
      return [d.variable, d.default === undefined ? "" : String(d.default)];
    }),
  );
}

/** The values as the API takes them: numbers as numbers, empty optional fields left out. */
export function toInputs(fields: UserInputField[], values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const d = describeField(f);
    const v = values[d.variable] ?? "";
    if (v === "") continue;
    out[d.variable] = d.kind === "number" ? Number(v) : v;
  }
  return out;
}

/** The app's user input form (its variables); labels are user-supplied text, shown as text. */
export function InputsForm({
  fields,
  values,
  onChange,
}: {
  fields: UserInputField[];
  values: Record<string, string>;
  onChange(next: Record<string, string>): void;
}) {
  const { t } = useI18n();
  if (fields.length === 0) return null;
  return (
    <fieldset className="chat-inputs" data-testid="chat-inputs">
      <legend>{t("chat.inputs")}</legend>
      {fields.map((f) => {
        const d = describeField(f);
        const id = `input-${d.variable}`;
        const common = {
          id,
          name: d.variable,
          required: d.required,
          value: values[d.variable] ?? "",
          onChange: (e: { target: { value: string } }) =>
            onChange({ ...values, [d.variable]: e.target.value }),
        };
        return (
          <div className="field" key={d.variable}>
            <label htmlFor={id}>
              {d.label}
              {d.required && " *"}
            </label>
            {d.kind === "paragraph" ? (
              <textarea rows={3} {...common} {...(d.max_length ? { maxLength: d.max_length } : {})} />
            ) : d.kind === "select" ? (
              <select {...common}>
                <option value="">—</option>
                {d.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : d.kind === "number" ? (
              <input
                type="number"
                {...common}
                {...(d.min !== undefined ? { min: d.min } : {})}
                {...(d.max !== undefined ? { max: d.max } : {})}
              />
            ) : (
              <input type="text" maxLength={d.max_length} {...common} />
            )}
          </div>
        );
      })}
    </fieldset>
  );
}

/** Names of required fields left empty (the composer refuses to send until they are filled). */
export function missingRequired(fields: UserInputField[], values: Record<string, string>): string[] {
  return fields
    .map(describeField)
    .filter((d) => d.required && !(values[d.variable] ?? "").trim())
    .map((d) => d.label);
}
