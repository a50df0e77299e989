/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units, no whitespace,
 * numbers and strings serialised as ECMAScript's JSON.stringify does (which is what JCS specifies).
 * The same bytes on every machine, so a hash over them means the same thing everywhere.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot represent NaN or Infinity");
    return JSON.stringify(value);
  }
  // Loops and string appends rather than entries/map/join: verification canonicalises every
  // event's details, and the intermediate arrays were a large share of its garbage.
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out += (i === 0 ? "" : ",") + canonicalJson(v === undefined ? null : v);
    }
    return `${out}]`;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly as RFC 8785 §3.2.3 requires.
    const keys = Object.keys(record).sort();
    let out = "{";
    for (const k of keys) {
      const v = record[k];
      if (v === undefined) continue;
      out += (out.length === 1 ? "" : ",") + JSON.stringify(k) + ":" + canonicalJson(v);
    }
    return `${out}}`;
  }
  throw new TypeError(`canonical JSON cannot represent ${typeof value}`);
}
