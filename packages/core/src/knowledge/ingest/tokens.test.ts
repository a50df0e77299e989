import { describe, expect, it } from "vitest";
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import { countTokens } from "./tokens.ts";

const SAMPLES: Record<string, string> = {
  english:
    "The quick brown fox jumps over the lazy dog while data sovereignty matters for enterprises. " +
    "Retrieval-augmented generation (RAG) combines search with LLMs; see https://example.com/docs?id=42.\n\n" +
    "In 2024, 1,234,567 requests were served at 99.95% uptime.",
  chinese:
    "数据主权是企业在云计算时代必须重视的问题，我们需要保护用户的隐私和会话日志。知识库中的文档被切分成片段，并建立全文索引和向量索引。",
  japanese:
    "会話ログは暗号化されて保存されます。ユーザーのデータは外部に送信されません。ナレッジベースの文書はチャンクに分割され、全文検索とベクトル検索の索引が作成されます。",
  korean:
    "데이터 주권은 클라우드 시대에 기업이 중요하게 생각해야 하는 문제입니다. 대화 기록은 암호화되어 저장됩니다.",
  mixed:
    "Enclave 的知识库支持 PDF、DOCX 和 Markdown。会話ログ (chat logs) are kept for 30 days. 数据主权 matters.",
  russian:
    "Суверенитет данных важен для предприятий в эпоху облачных вычислений. Журналы разговоров хранятся в зашифрованном виде.",
  code: "function add(a: number, b: number): number {\n  return a + b;\n}\n\nconst total = [1, 2, 3].reduce(add, 0);\n",
  markdown:
    "| Name | Value |\n|------|-------|\n| alpha | 1 |\n| beta | 2 |\n\n## Heading\n\n- item one\n- item two\n",
};

describe("countTokens", () => {
  it("counts Chinese and Japanese per character, not as one word", () => {
    expect(countTokens("数据主权")).toBe(4);
    expect(countTokens("会話ログ")).toBe(4);
    const sentence = "数据主权是企业在云计算时代必须重视的问题";
    expect(countTokens(sentence)).toBe(sentence.length);
    expect(countTokens(SAMPLES.japanese!)).toBeGreaterThan(60);
  });

  it("counts English by words and is 0 only for empty text", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("hello")).toBe(1);
    expect(countTokens("hello world")).toBe(2);
    expect(countTokens("x")).toBeGreaterThan(0);
    expect(countTokens("12345678")).toBe(3);
  });

  it("stays within 20% of cl100k_base across scripts", () => {
    const encoder = new Tiktoken(cl100k);
    for (const [name, text] of Object.entries(SAMPLES)) {
      const real = encoder.encode(text).length;
      const estimate = countTokens(text);
      expect({ name, ratio: Math.round((estimate / real) * 100) / 100 }).toEqual({
        name,
        ratio: expect.toSatisfy((r: number) => r >= 0.8 && r <= 1.25),
      });
    }
  });

  it("is near-additive, so packing pieces by their counts is safe", () => {
    const a = "First sentence here. ";
    const b = "第二个句子在这里。";
    expect(countTokens(a + b)).toBeLessThanOrEqual(countTokens(a) + countTokens(b));
  });
});
