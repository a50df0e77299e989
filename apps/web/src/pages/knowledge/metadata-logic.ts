import {
  type ComparisonOperator,
  type DatasetMetadataView,
  type MetadataCondition,
  type MetadataFilter,
  type MetadataType,
} from "@enclave/contracts";

// Pure state for metadata: which operators fit a field's type, how a typed input becomes a
// condition value, and what is wrong with a filter before it is sent.

export interface FilterField {
  name: string;
  type: MetadataType;
  builtIn: boolean;
}

const STRING_OPS: ComparisonOperator[] = [
  "is",
  "is not",
  "contains",
  "not contains",
  "start with",
  "end with",
  "in",
  "not in",
  "empty",
  "not empty",
];
const NUMBER_OPS: ComparisonOperator[] = ["=", "≠", ">", "<", "≥", "≤", "in", "not in", "empty", "not empty"];
const TIME_OPS: ComparisonOperator[] = ["before", "after", "empty", "not empty"];
// Upload and update dates are columns, never empty: the server takes before/after only.
const BUILTIN_TIME_OPS: ComparisonOperator[] = ["before", "after"];

/** The operators the server accepts for a field of this type. */
export function operatorsFor(field: Pick<FilterField, "type" | "builtIn">): ComparisonOperator[] {
  if (field.type === "number") return NUMBER_OPS;
  if (field.type === "time") return field.builtIn ? BUILTIN_TIME_OPS : TIME_OPS;
  return STRING_OPS;
}

export const takesValue = (op: ComparisonOperator) => op !== "empty" && op !== "not empty";
export const takesList = (op: ComparisonOperator) => op === "in" || op === "not in";

const SYMBOLS: ReadonlySet<ComparisonOperator> = new Set(["=", "≠", ">", "<", "≥", "≤"]);

/** The i18n key of a worded operator, or null for a symbol (shown as it is in every language). */
export function operatorKey(op: ComparisonOperator): `knowledge.op.${string}` | null {
  return SYMBOLS.has(op) ? null : `knowledge.op.${op.replace(/ /g, "_")}`;
}

/** Filterable fields of some datasets: their custom fields, plus the built-ins where switched on. */
export function filterFields(lists: readonly (DatasetMetadataView | undefined)[]): FilterField[] {
  const out = new Map<string, FilterField>();
  for (const list of lists) {
    if (!list) continue;
    for (const f of list.fields)
      if (!out.has(f.name)) out.set(f.name, { name: f.name, type: f.type, builtIn: false });
    if (list.builtInEnabled)
      for (const f of list.builtIn)
        if (!out.has(f.name)) out.set(f.name, { name: f.name, type: f.type, builtIn: true });
  }
  return [...out.values()];
}

/** `2026-03-01T09:30` in the browser's zone → ISO in UTC (what the server compares). */
export function fromLocalInput(local: string): string {
  const ms = Date.parse(local);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : local;
}

/** ISO → the `datetime-local` input's value in the browser's zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

type Value = MetadataCondition["value"];

/** What an input's text means as a condition value for this type and operator. */
export function parseValue(type: MetadataType, op: ComparisonOperator, raw: string): Value {
  if (!takesValue(op)) return null;
  const one = (s: string): string | number => {
    const v = s.trim();
    if (type === "number" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    if (type === "time") return v === "" ? "" : fromLocalInput(v);
    return type === "number" ? v : s;
  };
  if (takesList(op)) {
    const items = raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    return items.map(one) as (string | number)[];
  }
  return one(raw);
}

/** The input's text for a stored condition value (the inverse of parseValue). */
export function valueText(type: MetadataType, value: Value): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (type === "time" && typeof value === "string") return toLocalInput(value);
  return String(value);
}

/** A first condition for a field: its first operator and no value yet. */
export function newCondition(field: FilterField): MetadataCondition {
  return { name: field.name, comparisonOperator: operatorsFor(field)[0]!, value: "" };
}

/** Changing the field keeps the operator only when the new type accepts it; the value starts over. */
export function withField(c: MetadataCondition, field: FilterField): MetadataCondition {
  const ops = operatorsFor(field);
  const op = ops.includes(c.comparisonOperator) ? c.comparisonOperator : ops[0]!;
  return {
    name: field.name,
    comparisonOperator: op,
    value: takesValue(op) ? (takesList(op) ? [] : "") : null,
  };
}

/** Changing the operator keeps a value that still fits (one value ↔ a list, none for empty). */
export function withOperator(c: MetadataCondition, op: ComparisonOperator): MetadataCondition {
  if (!takesValue(op)) return { ...c, comparisonOperator: op, value: null };
  const v = c.value;
  if (takesList(op)) {
    const list = Array.isArray(v) ? v : v === null || v === undefined || v === "" ? [] : [v];
    return { ...c, comparisonOperator: op, value: list };
  }
  const single = Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  return { ...c, comparisonOperator: op, value: single };
}

/** Indexes of conditions whose operator needs a value that is not there (no field list needed). */
export function incompleteConditions(filter: MetadataFilter | null | undefined): number[] {
  return (filter?.conditions ?? []).flatMap((c, i) => {
    if (!takesValue(c.comparisonOperator)) return [];
    const values = Array.isArray(c.value) ? c.value : [c.value];
    return values.length === 0 || values.some((v) => v === "" || v === null || v === undefined) ? [i] : [];
  });
}

export type ConditionProblem = "unknownField" | "badOperator" | "missingValue" | "badValue";

/** What is wrong with each condition (by index); an empty object means the server will accept it. */
export function filterProblems(
  filter: MetadataFilter | null,
  fields: readonly FilterField[],
): Record<number, ConditionProblem> {
  const problems: Record<number, ConditionProblem> = {};
  if (!filter) return problems;
  filter.conditions.forEach((c, i) => {
    const field = fields.find((f) => f.name === c.name);
    if (!field) problems[i] = "unknownField";
    else if (!operatorsFor(field).includes(c.comparisonOperator)) problems[i] = "badOperator";
    else if (takesValue(c.comparisonOperator)) {
      const values = Array.isArray(c.value) ? c.value : [c.value];
      if (values.length === 0 || values.some((v) => v === "" || v === null || v === undefined))
        problems[i] = "missingValue";
      else if (field.type === "number" && values.some((v) => typeof v !== "number")) problems[i] = "badValue";
      else if (field.type === "time" && values.some((v) => !Number.isFinite(Date.parse(String(v)))))
        problems[i] = "badValue";
    }
  });
  return problems;
}

/** A document's value as the typed input shows it. */
export function inputValue(type: MetadataType, value: string | number | undefined): string {
  if (value === undefined) return "";
  return type === "time" ? toLocalInput(String(value)) : String(value);
}

/** A typed input's text as the value to store: null clears, numbers are numbers, times are ISO. */
export function storedInput(type: MetadataType, raw: string): string | number | null {
  const v = raw.trim();
  if (v === "") return null;
  if (type === "number") return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  if (type === "time") return fromLocalInput(v);
  return raw;
}
