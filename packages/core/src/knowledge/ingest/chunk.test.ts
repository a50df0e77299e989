import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { isAppError } from "../../errors/app-error.ts";
import { chunkDocument, unescapeSeparator, type ChunkOptions, type GeneralChunkOptions } from "./chunk.ts";
import { countTokens } from "./tokens.ts";

const cleanup = { removeExtraSpaces: false, removeUrlsEmails: false };
const general = (over: Partial<GeneralChunkOptions> = {}): GeneralChunkOptions => ({
  mode: "general",
  separator: "\n\n",
  maxTokens: 500,
  chunkOverlap: 0,
  mergeSections: false,
  cleanup,
  ...over,
});
const contents = (text: string, options: ChunkOptions) => {
  const r = chunkDocument(text, options);
  if (r.mode !== "general") throw new Error("expected general chunks");
  return r.chunks.map((c) => c.content);
};

/** Deterministic text generator (mulberry32) mixing English, Chinese and Japanese. */
function randomText(seed: number, paragraphs: number): string {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const words = ["data", "sovereignty", "retrieval", "index", "enclave", "audit", "policy", "chunk"];
  const zh = "数据主权知识库检索向量索引全文分块会话日志安全审计";
  const ja = "会話ログはナレッジベースの文書を検索します";
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    let para = "";
    const n = 1 + Math.floor(rand() * 12);
    for (let i = 0; i < n; i++) {
      const kind = rand();
      if (kind < 0.4)
        para +=
          Array.from({ length: 3 + Math.floor(rand() * 30) }, () => words[Math.floor(rand() * 8)]).join(" ") +
          ". ";
      else if (kind < 0.7)
        para +=
          Array.from({ length: 5 + Math.floor(rand() * 80) }, () => zh[Math.floor(rand() * zh.length)]).join(
            "",
          ) + "。";
      else if (kind < 0.9) para += ja.slice(0, 5 + Math.floor(rand() * 15)) + "！";
      else para += "x".repeat(Math.floor(rand() * 3000)) + "\n";
    }
    out.push(para);
  }
  return out.join(rand() < 0.5 ? "\n\n" : "\n");
}

describe("chunkDocument (general)", () => {
  it("cuts at the separator and keeps sections apart (Dify custom)", () => {
    expect(contents("alpha one\n\nbeta two\n\ngamma", general())).toEqual(["alpha one", "beta two", "gamma"]);
    expect(contents("a|b||c", general({ separator: "|" }))).toEqual(["a", "b", "c"]);
  });

  it("packs small sections up to the budget in merge mode (Dify automatic)", () => {
    expect(contents("alpha one\n\nbeta two\n\ngamma", general({ mergeSections: true }))).toEqual([
      "alpha one\n\nbeta two\n\ngamma",
    ]);
  });

  it("accepts the escaped separator form Dify sends", () => {
    expect(unescapeSeparator("\\n\\n")).toBe("\n\n");
    expect(unescapeSeparator("\\t|\\\\")).toBe("\t|\\");
    expect(contents("a\nb", general({ separator: unescapeSeparator("\\n") }))).toEqual(["a", "b"]);
  });

  it("splits an oversized section at lines, then sentence ends including 。！？；", () => {
    const zh = "第一句话在这里。第二句话在这里！第三句话在这里？第四句话在这里；";
    const chunks = contents(zh, general({ maxTokens: 10 }));
    expect(chunks).toEqual(["第一句话在这里。", "第二句话在这里！", "第三句话在这里？", "第四句话在这里；"]);
    const en = "One short sentence. Another short sentence! A third one? Done.";
    expect(contents(en, general({ maxTokens: 6 }))).toEqual([
      "One short sentence.",
      "Another short sentence!",
      "A third one? Done.",
    ]);
  });

  it("falls back to characters for unbroken text and never splits a surrogate pair", () => {
    const chunks = contents("字".repeat(25), general({ maxTokens: 10 }));
    expect(chunks).toEqual(["字".repeat(10), "字".repeat(10), "字".repeat(5)]);
    const emoji = contents("😀".repeat(9), general({ maxTokens: 4 }));
    expect(emoji.join("")).toBe("😀".repeat(9));
    for (const c of emoji) expect(c.isWellFormed()).toBe(true);
  });

  it("cuts a long unbroken run in bounded steps (2 MB without a delimiter)", () => {
    const r = chunkDocument("a".repeat(2_000_000), general({ maxTokens: 500 }));
    if (r.mode !== "general") throw new Error("mode");
    expect(r.chunks).toHaveLength(Math.ceil(2_000_000 / 3000));
    expect(r.chunks.every((c) => c.tokens <= 500)).toBe(true);
  });

  it("ends sentences at ASCII ! and ? directly followed by CJK text", () => {
    expect(contents("这是第一句!这是第二句?这是第三句", general({ maxTokens: 8 }))).toEqual([
      "这是第一句!",
      "这是第二句?",
      "这是第三句",
    ]);
  });

  it("repeats up to chunkOverlap tokens of the previous chunk", () => {
    const text = Array.from({ length: 12 }, (_, i) => `Sentence number ${"abcdefghijkl"[i]}.`).join(" ");
    const chunks = contents(text, general({ maxTokens: 12, chunkOverlap: 6 }));
    expect(chunks.length).toBeGreaterThan(2);
    for (let i = 1; i < chunks.length; i++) {
      const lastSentence = chunks[i - 1]!.split(/(?<=\.) /).at(-1)!;
      expect(chunks[i]!.startsWith(lastSentence)).toBe(true);
    }
    const noOverlap = contents(text, general({ maxTokens: 12 }));
    expect(noOverlap.join(" ")).toBe(text);
  });

  it("never exceeds maxTokens, loses no text and is deterministic (mixed-script fuzz)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const text = randomText(seed, 20);
      for (const maxTokens of [10, 57, 200]) {
        const options = general({ maxTokens, separator: "\n" });
        const a = chunkDocument(text, options);
        const b = chunkDocument(text, options);
        expect(JSON.stringify(b) === JSON.stringify(a)).toBe(true);
        if (a.mode !== "general") throw new Error("mode");
        // One assertion per case: thousands of expect() calls would dominate the run time.
        const bad = a.chunks.filter(
          (c) =>
            c.tokens > maxTokens || c.tokens !== countTokens(c.content) || c.content.trim() !== c.content,
        );
        expect(bad).toEqual([]);
        expect(a.chunks.map((c) => c.position)).toEqual(a.chunks.map((_, i) => i + 1));
        const squash = (s: string) => s.replace(/\s+/g, "");
        expect(squash(a.chunks.map((c) => c.content).join(""))).toBe(squash(text));
      }
    }
  });

  it("hashes content with SHA-256", () => {
    const r = chunkDocument("same\n\nsame", general());
    if (r.mode !== "general") throw new Error("mode");
    const sha = createHash("sha256").update("same").digest("hex");
    expect(r.chunks.map((c) => c.hash)).toEqual([sha, sha]);
  });

  it("applies the cleanup rules", () => {
    const text =
      "Mail  me at a.b@example.com   or see https://example.com/x?y=1 and [the docs](https://d.example/z).\n\n\n\nEnd";
    expect(contents(text, general({ cleanup: { removeExtraSpaces: true, removeUrlsEmails: true } }))).toEqual(
      ["Mail me at or see and the docs.", "End"],
    );
    expect(contents("a\u0000b\r\nc", general({ separator: "\n" }))).toEqual(["ab", "c"]);
  });

  it("refuses impossible options with validation_failed", () => {
    for (const bad of [
      { maxTokens: 0 },
      { maxTokens: 4001 },
      { chunkOverlap: 500 },
      { separator: "" },
      { maxTokens: 1.5 },
    ]) {
      try {
        chunkDocument("text", general(bad));
        expect.unreachable();
      } catch (err) {
        expect(isAppError(err) && err.code).toBe("validation_failed");
      }
    }
  });
});

describe("chunkDocument (parent-child)", () => {
  const child = { separator: "\n", maxTokens: 8, chunkOverlap: 0, mergeSections: false };
  const parent = { separator: "\n\n", maxTokens: 200, chunkOverlap: 0, mergeSections: false };

  it("paragraph mode: parents per paragraph, children per line within each", () => {
    const r = chunkDocument("p1 line a\np1 line b\n\np2 only line", {
      mode: "parent_child",
      parentMode: "paragraph",
      parent,
      child,
      cleanup,
    });
    if (r.mode !== "parent_child") throw new Error("mode");
    expect(r.truncated).toBe(false);
    expect(
      r.parents.map((p) => [p.position, p.content, p.children.map((c) => [c.position, c.content])]),
    ).toEqual([
      [
        1,
        "p1 line a\np1 line b",
        [
          [1, "p1 line a"],
          [2, "p1 line b"],
        ],
      ],
      [2, "p2 only line", [[1, "p2 only line"]]],
    ]);
  });

  it("full_doc mode: one parent holding the whole text, children across it", () => {
    const r = chunkDocument("one\n\ntwo\nthree", {
      mode: "parent_child",
      parentMode: "full_doc",
      parent,
      child,
      cleanup,
    });
    if (r.mode !== "parent_child") throw new Error("mode");
    expect(r.parents).toHaveLength(1);
    expect(r.parents[0]!.content).toBe("one\n\ntwo\nthree");
    expect(r.parents[0]!.children.map((c) => c.content)).toEqual(["one", "two", "three"]);
  });

  it("full_doc mode caps the parent at 10,000 tokens and says so", () => {
    const long = Array.from({ length: 3000 }, (_, i) => `Paragraph ${i} has words.`).join("\n\n");
    const r = chunkDocument(long, {
      mode: "parent_child",
      parentMode: "full_doc",
      parent,
      child: { ...child, maxTokens: 400 },
      cleanup,
    });
    if (r.mode !== "parent_child") throw new Error("mode");
    expect(r.truncated).toBe(true);
    expect(r.parents[0]!.tokens).toBeLessThanOrEqual(10_000);
    expect(r.parents[0]!.content.startsWith("Paragraph 0 has words.")).toBe(true);
  });
});
