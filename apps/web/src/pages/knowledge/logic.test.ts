import { describe, expect, it } from "vitest";
import { ProcessRule } from "@enclave/contracts";
import {
  DEFAULT_RULE_FORM,
  isTerminal,
  percent,
  shouldPoll,
  toProcessRule,
  uploadReducer,
  type UploadItem,
} from "./logic.ts";

describe("indexing status polling", () => {
  it("polls while any document is on its way and stops once all are completed or failed", () => {
    expect(shouldPoll([{ status: "completed" }, { status: "indexing" }])).toBe(true);
    expect(shouldPoll([{ status: "waiting" }])).toBe(true);
    expect(shouldPoll([{ status: "completed" }, { status: "error" }])).toBe(false);
    expect(shouldPoll([{ status: "paused" }])).toBe(false);
    expect(shouldPoll([])).toBe(false);
    expect(shouldPoll(undefined)).toBe(false);
  });
  it("treats only completed, error and paused as terminal", () => {
    for (const s of ["waiting", "parsing", "splitting", "indexing"] as const)
      expect(isTerminal(s)).toBe(false);
    for (const s of ["completed", "error", "paused"] as const) expect(isTerminal(s)).toBe(true);
  });
  it("computes a bounded percentage without dividing by zero", () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(3, 0)).toBe(0);
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 4)).toBe(100);
    expect(percent(Number.NaN, 4)).toBe(0);
  });
});

describe("upload progress state", () => {
  const add = uploadReducer([], {
    type: "add",
    items: [
      { key: "a", name: "a.txt", size: 100 },
      { key: "b", name: "b.pdf", size: 50 },
    ],
  });
  it("starts queued at zero and moves each file on its own", () => {
    expect(add.map((i) => [i.phase, i.loaded])).toEqual([
      ["queued", 0],
      ["queued", 0],
    ]);
    const s = uploadReducer(add, { type: "progress", key: "a", loaded: 40 });
    expect(s[0]).toMatchObject({ phase: "uploading", loaded: 40 });
    expect(s[1]).toMatchObject({ phase: "queued", loaded: 0 });
  });
  it("never moves bytes backwards nor beyond the size", () => {
    let s = uploadReducer(add, { type: "progress", key: "a", loaded: 60 });
    s = uploadReducer(s, { type: "progress", key: "a", loaded: 20 });
    expect(s[0]!.loaded).toBe(60);
    s = uploadReducer(s, { type: "progress", key: "a", loaded: 500 });
    expect(s[0]!.loaded).toBe(100);
  });
  it("keeps a failure on its file only, and late progress does not revive it", () => {
    let s: UploadItem[] = uploadReducer(add, { type: "fail", key: "b", error: "unsupported file type" });
    s = uploadReducer(s, { type: "progress", key: "b", loaded: 10 });
    s = uploadReducer(s, { type: "done", key: "a", documentId: "d1" });
    expect(s[0]).toMatchObject({ phase: "uploaded", loaded: 100, documentId: "d1", error: null });
    expect(s[1]).toMatchObject({ phase: "failed", error: "unsupported file type", loaded: 0 });
  });
  it("clear drops finished items and keeps those still running", () => {
    let s = uploadReducer(add, { type: "done", key: "a", documentId: "d1" });
    s = uploadReducer(s, { type: "progress", key: "b", loaded: 5 });
    expect(uploadReducer(s, { type: "clear" }).map((i) => i.key)).toEqual(["b"]);
  });
});

describe("process rule from the form", () => {
  it("automatic sends no rules", () => {
    expect(toProcessRule(DEFAULT_RULE_FORM)).toEqual({ mode: "automatic" });
  });
  it("custom carries separator, max tokens and overlap and passes the contracts schema", () => {
    const rule = toProcessRule({ mode: "custom", separator: "\\n", maxTokens: "300", overlap: "20" });
    expect(rule).toEqual({
      mode: "custom",
      rules: { segmentation: { separator: "\\n", max_tokens: 300, chunk_overlap: 20 } },
    });
    expect(ProcessRule.safeParse(rule).success).toBe(true);
  });
  it("an overlap not below max tokens, or nonsense numbers, fail the schema (nothing is sent)", () => {
    expect(
      ProcessRule.safeParse(
        toProcessRule({ mode: "custom", separator: "", maxTokens: "100", overlap: "100" }),
      ).success,
    ).toBe(false);
    expect(
      ProcessRule.safeParse(toProcessRule({ mode: "custom", separator: "x", maxTokens: "abc", overlap: "" }))
        .success,
    ).toBe(false);
    expect(
      ProcessRule.safeParse(toProcessRule({ mode: "custom", separator: "x", maxTokens: "10", overlap: "" }))
        .success,
    ).toBe(false);
  });
});
