import { describe, expect, it } from "vitest";
import { ProcessRule } from "@enclave/contracts";
import { isAppError } from "../../errors/app-error.ts";
import { chunkDocument } from "./chunk.ts";
import { chunkOptionsFromProcessRule } from "./process-rule.ts";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : "not an AppError";
  }
  return undefined;
}

describe("ProcessRule (Dify's process_rule)", () => {
  it("accepts the shapes Dify clients send", () => {
    const shapes = [
      { mode: "automatic" },
      { mode: "automatic", rules: {} },
      { mode: "automatic", rules: null },
      {
        mode: "custom",
        rules: {
          pre_processing_rules: [
            { id: "remove_extra_spaces", enabled: true },
            { id: "remove_urls_emails", enabled: false },
            { id: "remove_stopwords", enabled: false },
          ],
          segmentation: { separator: "\\n\\n", max_tokens: 800, chunk_overlap: 50 },
        },
      },
      {
        mode: "hierarchical",
        rules: {
          pre_processing_rules: [{ id: "remove_extra_spaces", enabled: true }],
          segmentation: { separator: "\\n\\n", max_tokens: 1024 },
          parent_mode: "full_doc",
          subchunk_segmentation: { separator: "\\n", max_tokens: 256, chunk_overlap: 0 },
        },
      },
    ];
    for (const shape of shapes) expect(ProcessRule.safeParse(shape).success).toBe(true);
  });

  it("rejects unknown keys, modes and out-of-range sizes", () => {
    const bad = [
      { mode: "automatic", workspaceId: "x" },
      { mode: "semantic" },
      { mode: "custom", rules: { segmentation: { max_tokens: 4001 } } },
      { mode: "custom", rules: { segmentation: { max_tokens: 10 } } },
      { mode: "custom", rules: { segmentation: { max_tokens: 100, chunk_overlap: 100 } } },
      { mode: "custom", rules: { segmentation: { separator: "" } } },
      { mode: "custom", rules: { pre_processing_rules: [{ id: "remove_everything", enabled: true }] } },
      { mode: "hierarchical", rules: { parent_mode: "chapter" } },
      { mode: "custom", rules: { segmentation: { max_tokens: "500" } } },
    ];
    for (const shape of bad) {
      expect(ProcessRule.safeParse(shape).success).toBe(false);
      expect(code(() => chunkOptionsFromProcessRule(shape))).toBe("validation_failed");
    }
  });
});

describe("chunkOptionsFromProcessRule", () => {
  it("automatic: Dify's built-in rules (500 tokens, 50 overlap, extra spaces removed), rules ignored", () => {
    expect(
      chunkOptionsFromProcessRule({ mode: "automatic", rules: { segmentation: { max_tokens: 60 } } }),
    ).toEqual({
      mode: "general",
      separator: "\n\n",
      maxTokens: 500,
      chunkOverlap: 50,
      mergeSections: true,
      cleanup: { removeExtraSpaces: true, removeUrlsEmails: false },
    });
  });

  it("custom: unescapes the separator and reads the pre-processing rules", () => {
    const options = chunkOptionsFromProcessRule({
      mode: "custom",
      rules: {
        pre_processing_rules: [
          { id: "remove_extra_spaces", enabled: false },
          { id: "remove_urls_emails", enabled: true },
        ],
        segmentation: { separator: "\\n\\n", max_tokens: 300, chunk_overlap: 20 },
      },
    });
    expect(options).toEqual({
      mode: "general",
      separator: "\n\n",
      maxTokens: 300,
      chunkOverlap: 20,
      mergeSections: false,
      cleanup: { removeExtraSpaces: false, removeUrlsEmails: true },
    });
    const r = chunkDocument("see https://x.example/a\n\nsecond", options);
    expect(r.mode === "general" && r.chunks.map((c) => c.content)).toEqual(["see", "second"]);
  });

  it("custom without values takes the service API defaults (separator \\n, overlap 0)", () => {
    expect(chunkOptionsFromProcessRule({ mode: "custom" })).toMatchObject({
      mode: "general",
      separator: "\n",
      maxTokens: 500,
      chunkOverlap: 0,
    });
  });

  it("hierarchical: parent and child segmentation, paragraph parents by default", () => {
    expect(
      chunkOptionsFromProcessRule({
        mode: "hierarchical",
        rules: { subchunk_segmentation: { separator: "。", max_tokens: 50 } },
      }),
    ).toEqual({
      mode: "parent_child",
      parentMode: "paragraph",
      parent: { separator: "\n\n", maxTokens: 1024, chunkOverlap: 0, mergeSections: false },
      child: { separator: "。", maxTokens: 50, chunkOverlap: 0, mergeSections: false },
      cleanup: { removeExtraSpaces: true, removeUrlsEmails: false },
    });
  });

  it("refuses a subchunk overlap as large as the default child size", () => {
    expect(
      code(() =>
        chunkOptionsFromProcessRule({
          mode: "hierarchical",
          rules: { subchunk_segmentation: { chunk_overlap: 512 } },
        }),
      ),
    ).toBe("validation_failed");
  });
});
