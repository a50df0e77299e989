import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { queryRows, type DatabaseHandle } from "@enclave/db";
import { createTestDatabase, testDatabaseKinds } from "@enclave/db/testing";
import { MAX_QUERY_TERMS, segmentForIndex, segmentQuery } from "./full-text.ts";

const CHUNKS: Record<string, string> = {
  zh: "我们重视数据主权，所有文档都保存在本地服务器上。",
  zhNear: "数据仓库的建设需要大量投入，但主要风险在于权限配置。",
  zhOther: "国家主权与领土完整是国际法的基本原则。",
  ja: "会話ログは暗号化されて社内のサーバーに保存されます。",
  jaNear: "ログイン画面の会話型ヘルプは別のシステムです。",
  jaOther: "会議の議事録は共有フォルダにあります。",
  en: "Data sovereignty means the documents never leave your servers.",
  enOther: "Sovereign bonds and data centres are unrelated topics here.",
};

describe("segmentForIndex / segmentQuery", () => {
  it("cuts Chinese and Japanese into words, lowercases and NFKC-normalises the rest", () => {
    expect(segmentForIndex("数据主权")).toBe("数据 主权");
    expect(segmentForIndex("会話ログ")).toBe("会話 ログ");
    expect(segmentForIndex("Ｅｎｃｌａｖｅ的知识库 supports PDF!")).toBe("enclave 的 知识 库 supports pdf");
    expect(segmentForIndex("e-mail: A.B@Example.COM, café ①")).toBe("e mail a b example com café 1");
  });

  it("cuts words between CJK runs exactly as elsewhere, so tokens never depend on neighbours", () => {
    expect(segmentForIndex("数据 e-mail 3.14 can't 主权")).toBe("数据 e mail 3 14 can t 主权");
    expect(segmentForIndex("e-mail 3.14 can't")).toBe("e mail 3 14 can t");
  });

  it("reads a Han-only run as Japanese when kana are near", () => {
    // 東京都 alone would be read as Chinese; in Japanese text the ja dictionary applies.
    expect(segmentForIndex("東京都、大阪府に行きます")).toContain("大阪");
    expect(segmentQuery("会話ログは")).toEqual(["会話", "ログ", "は"]);
  });

  it("gives no terms for punctuation-only or empty input, and distinct bounded terms otherwise", () => {
    expect(segmentQuery("")).toEqual([]);
    expect(segmentQuery("!!! ... ？？ 。、「」 --- *** ()&|:'")).toEqual([]);
    expect(segmentQuery("data DATA data")).toEqual(["data"]);
    expect(segmentQuery(Array.from({ length: 200 }, (_, i) => `w${i}`).join(" "))).toHaveLength(
      MAX_QUERY_TERMS,
    );
    for (const term of segmentQuery("a'b \\c & d|e !f (g) h:* 数据'主权"))
      expect(term).toMatch(/^[\p{L}\p{M}\p{N}]+$/u);
  });

  it("drops letter runs too long to be words (blobs)", () => {
    expect(segmentForIndex(`key ${"A".repeat(5000)} end`)).toBe("key end");
  });
});

describe.each(testDatabaseKinds())("PostgreSQL full-text over segmented text on %s", (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.execute(sql`create table ft_chunks (id text primary key, tsv tsvector not null)`);
    for (const [id, content] of Object.entries(CHUNKS)) {
      await database.db.execute(
        sql`insert into ft_chunks values (${id}, to_tsvector('simple', ${segmentForIndex(content)}))`,
      );
    }
  });
  afterAll(() => database.close());

  /** As the search verb builds it: every term quoted and ANDed; terms never contain quotes. */
  async function search(query: string): Promise<string[]> {
    const terms = segmentQuery(query);
    if (terms.length === 0) return [];
    const tsquery = terms.map((t) => `'${t}'`).join(" & ");
    const rows = await queryRows<{ id: string }>(
      database.db,
      sql`select id from ft_chunks where tsv @@ to_tsquery('simple', ${tsquery})
          order by ts_rank(tsv, to_tsquery('simple', ${tsquery})) desc, id`,
    );
    return rows.map((r) => r.id);
  }

  it("a Chinese query finds only the chunk that contains it", async () => {
    expect(await search("数据主权")).toEqual(["zh"]);
  });

  it("a Japanese query finds only the chunk that contains it", async () => {
    expect(await search("会話ログ")).toEqual(["ja"]);
  });

  it("English still works, case-insensitively", async () => {
    expect(await search("Data Sovereignty")).toEqual(["en"]);
    expect(await search("data")).toEqual(["en", "enOther"]);
  });

  it("without segmentation the parser sees one word per sentence and misses (control)", async () => {
    const rows = await queryRows<{ hit: boolean }>(
      database.db,
      sql`select to_tsvector('simple', ${CHUNKS.zh!}) @@ to_tsquery('simple', ${"'数据' & '主权'"}) as hit`,
    );
    expect(rows[0]!.hit).toBe(false);
  });

  it("punctuation-only input yields no terms, so no query at all", async () => {
    expect(await search("？！…")).toEqual([]);
  });
});
