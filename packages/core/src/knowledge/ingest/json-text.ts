// JSON to readable text: objects become "path: value" lines, an array of records becomes one
// paragraph per record (like CSV rows), arrays of plain values are listed with ", ".

/** Deeper nesting than this is refused rather than walked (and bounds our recursion). */
export const MAX_JSON_DEPTH = 64;

export class JsonTooDeep extends Error {}

export function jsonToText(value: unknown): string {
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
    return value
      .map((v) => lines(v, "", 1).join("\n"))
      .filter(Boolean)
      .join("\n\n");
  }
  return lines(value, "", 0).join("\n");
}

function lines(value: unknown, path: string, depth: number): string[] {
  if (depth > MAX_JSON_DEPTH) throw new JsonTooDeep();
  if (value === null || typeof value !== "object") {
    const text = scalar(value);
    if (text === "") return [];
    return [path ? `${path}: ${text}` : text];
  }
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) {
      const items = value.map(scalar).filter((s) => s !== "");
      if (items.length === 0) return [];
      return [path ? `${path}: ${items.join(", ")}` : items.join(", ")];
    }
    return value.flatMap((v, i) => lines(v, `${path}[${i}]`, depth + 1));
  }
  return Object.entries(value).flatMap(([k, v]) => lines(v, path ? `${path}.${k}` : k, depth + 1));
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v.trim();
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
