import { readFileSync, writeFileSync } from "node:fs";
import { configReference } from "./variables.ts";

export const MARK_START = "<!-- config:start -->";
export const MARK_END = "<!-- config:end -->";

/** Replaces the configuration table between the markers in `file`; returns whether it changed, or null without markers. */
export function syncConfigDocs(file: string, write: boolean): boolean | null {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  if (start < 0 || end < start) return null;
  const next = `${text.slice(0, start + MARK_START.length)}\n${configReference()}\n${text.slice(end)}`;
  if (next === text) return false;
  if (write) writeFileSync(file, next);
  return true;
}
