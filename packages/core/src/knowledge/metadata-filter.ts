import { and, or, sql, type SQL } from "drizzle-orm";
import type { MetadataCondition, MetadataFilter } from "@enclave/contracts";
import { documents } from "@enclave/db";
import { AppError } from "../errors/app-error.ts";

const STRING_OPS = new Set(["contains", "not contains", "start with", "end with", "is", "is not"]);
const NUMBER_OPS: Record<string, string> = { "=": "=", "≠": "<>", ">": ">", "<": "<", "≥": ">=", "≤": "<=" };

function bad(message: string): AppError {
  return new AppError("validation_failed", message);
}

function likeEscape(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function stringOp(column: SQL, op: string, value: unknown): SQL {
  if (typeof value === "number") value = String(value);
  if (typeof value !== "string") throw bad(`"${op}" needs a text value`);
  const v = likeEscape(value);
  switch (op) {
    case "contains":
      return sql`${column} ilike ${`%${v}%`}`;
    case "not contains":
      return sql`coalesce(${column}, '') not ilike ${`%${v}%`}`;
    case "start with":
      return sql`${column} ilike ${`${v}%`}`;
    case "end with":
      return sql`${column} ilike ${`%${v}`}`;
    case "is":
      return sql`${column} = ${value}`;
    default:
      return sql`${column} is distinct from ${value}`;
  }
}

function isoTime(value: unknown): string {
  const ms = typeof value === "number" ? value * 1000 : typeof value === "string" ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw bad("a time filter needs an ISO date or a Unix timestamp");
  return new Date(ms).toISOString();
}

/** SQL for one condition over the `documents` row; unknown operator/value pairs are a 400. */
function condition(c: MetadataCondition): SQL {
  const op = c.comparisonOperator;
  const builtin: Record<string, SQL> = {
    document_name: sql`${documents.name}`,
    uploader: sql`${documents.createdBy}::text`,
    source: sql`${documents.dataSourceType}`,
  };
  const builtinTime = { upload_date: documents.createdAt, last_update_date: documents.updatedAt }[c.name];
  if (builtinTime) {
    if (op === "before") return sql`${builtinTime} < ${isoTime(c.value)}::timestamptz`;
    if (op === "after") return sql`${builtinTime} > ${isoTime(c.value)}::timestamptz`;
    throw bad(`${c.name} takes before or after`);
  }
  const text = builtin[c.name] ?? sql`(${documents.metadata} ->> ${c.name})`;
  if (op === "in" || op === "not in") {
    const list = (Array.isArray(c.value) ? c.value : typeof c.value === "string" ? c.value.split(",") : [])
      .map((v) => String(v).trim())
      .filter((v) => v !== "");
    if (list.length === 0) throw bad(`"${op}" needs a list of values`);
    const values = sql.join(
      list.map((v) => sql`${v}`),
      sql`, `,
    );
    return op === "in" ? sql`${text} in (${values})` : sql`coalesce(${text} not in (${values}), true)`;
  }
  if (Array.isArray(c.value)) throw bad(`"${op}" takes one value, not a list`);
  if (op === "empty") return sql`coalesce(${text}, '') = ''`;
  if (op === "not empty") return sql`coalesce(${text}, '') <> ''`;
  if (STRING_OPS.has(op)) return stringOp(text, op, c.value);
  if (builtin[c.name]) throw bad(`${c.name} is text: use a text operator`);
  if (op === "before" || op === "after") {
    // Custom times are stored as ISO strings in UTC, which compare correctly as text.
    return sql`${text} ${sql.raw(op === "before" ? "<" : ">")} ${isoTime(c.value)}`;
  }
  const numeric = NUMBER_OPS[op];
  // Dify clients send numbers as text too ("5"): only a whole numeric string counts.
  const n =
    typeof c.value === "number"
      ? c.value
      : typeof c.value === "string" && /^-?\d+(\.\d+)?$/.test(c.value.trim())
        ? Number(c.value)
        : NaN;
  if (!numeric || !Number.isFinite(n)) throw bad(`"${op}" needs a number`);
  // Only values stored as JSON numbers are compared: a cast of arbitrary text could fail the query.
  const num = sql`(case when jsonb_typeof(${documents.metadata} -> ${c.name}) = 'number' then (${documents.metadata} ->> ${c.name})::numeric end)`;
  return sql`${num} ${sql.raw(numeric)} ${n}`;
}

export function metadataFilterSql(filter: MetadataFilter | null | undefined): SQL | null {
  if (!filter || filter.conditions.length === 0) return null;
  const parts = filter.conditions.map(condition);
  return (filter.logicalOperator === "or" ? or(...parts) : and(...parts)) ?? null;
}
