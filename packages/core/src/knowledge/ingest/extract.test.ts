import { describe, expect, it } from "vitest";
import { isAppError } from "../../errors/app-error.ts";
import { extractText } from "./extract.ts";
import type { DocumentKind } from "./types.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

async function failure(
  bytes: Uint8Array,
  kind: DocumentKind,
  limits = {},
): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await extractText(bytes, kind, limits);
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error("expected extraction to fail");
}

describe("extractText: text formats", () => {
  it("txt and markdown pass through (UTF-8, BOMs, UTF-16)", async () => {
    expect((await extractText(utf8("数据主权\nline two\n"), "txt")).text).toBe("数据主权\nline two");
    expect((await extractText(utf8("\ufeff# Title\n\n会話ログ"), "markdown")).text).toBe(
      "# Title\n\n会話ログ",
    );
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("UTF-16 テキスト", "utf16le")]);
    expect((await extractText(new Uint8Array(le), "txt")).text).toBe("UTF-16 テキスト");
    const doc = await extractText(utf8("hello"), "txt");
    expect(doc).toEqual({ kind: "txt", text: "hello", charCount: 5 });
  });

  it("html: text and title, with a declared legacy charset honoured", async () => {
    const doc = await extractText(utf8("<title>T</title><p>Body <script>alert(1)</script>text</p>"), "html");
    expect(doc).toEqual({ kind: "html", text: "Body text", charCount: 9, title: "T" });
    const sjis = Buffer.concat([
      Buffer.from('<meta charset="shift_jis"><p>'),
      Buffer.from([0x82, 0xa0, 0x82, 0xa2]),
      Buffer.from("</p>"),
    ]);
    expect((await extractText(new Uint8Array(sjis), "html")).text).toBe("あい");
    // A UTF-16 declaration in an ASCII-compatible file is ignored, as browsers ignore it.
    expect((await extractText(utf8('<meta charset="utf-16"><p>hi</p>'), "html")).text).toBe("hi");
    expect(await failure(utf8('<meta charset="x-made-up"><p>hi</p>'), "html")).toMatchObject({
      code: "document_unreadable",
      message: expect.stringContaining("not supported"),
    });
  });

  it("csv: one paragraph per row of header: value pairs, robust to quotes", async () => {
    const csv = 'name,note,city\n"Smith, J.","said ""hi""\nthen left",Tokyo\nLi,,北京\n\n';
    expect((await extractText(utf8(csv), "csv")).text).toBe(
      'name: Smith, J.; note: said "hi"\nthen left; city: Tokyo\n\nname: Li; city: 北京',
    );
    expect((await extractText(utf8("a;b\n1;2"), "csv")).text).toBe("a: 1; b: 2");
    expect((await extractText(utf8('h\n"never closed, runs on'), "csv")).text).toBe(
      "h: never closed, runs on",
    );
  });

  it("json: readable path: value lines, arrays of records as paragraphs", async () => {
    const json = JSON.stringify([
      { title: "数据主权", tags: ["a", "b"], meta: { pages: 3 } },
      { title: "会話ログ", empty: null },
    ]);
    expect((await extractText(utf8(json), "json")).text).toBe(
      "title: 数据主权\ntags: a, b\nmeta.pages: 3\n\ntitle: 会話ログ",
    );
    expect((await extractText(utf8('{"a":{"b":[{"c":1},{"c":2}]}}'), "json")).text).toBe(
      "a.b[0].c: 1\na.b[1].c: 2",
    );
  });

  it("refuses bad input with clear codes", async () => {
    expect(await failure(utf8("{not json"), "json")).toMatchObject({ code: "document_unreadable" });
    expect(await failure(utf8("[".repeat(100) + "]".repeat(100)), "json")).toMatchObject({
      code: "document_unreadable",
      message: expect.stringContaining("nested"),
    });
    expect(await failure(new Uint8Array([0xc3, 0x28, 0x41]), "txt")).toMatchObject({
      code: "document_unreadable",
      message: expect.stringContaining("UTF-8"),
    });
    expect(await failure(new Uint8Array(), "txt")).toMatchObject({ code: "document_unreadable" });
    expect(await failure(utf8("   \n\n "), "markdown")).toMatchObject({ code: "document_unreadable" });
    expect(await failure(utf8("<script>only()</script>"), "html")).toMatchObject({
      code: "document_unreadable",
    });
    expect(
      await failure(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]), "markdown"),
    ).toMatchObject({
      code: "document_type_mismatch",
      message: expect.stringContaining("PNG"),
    });
    expect(await failure(utf8("x".repeat(2000)), "txt", { maxBytes: 1000 })).toMatchObject({
      code: "document_too_large",
      details: { reason: "bytes", limit: 1000 },
    });
    expect(await failure(utf8("y".repeat(2000)), "txt", { maxChars: 1000 })).toMatchObject({
      code: "document_too_large",
      details: { reason: "chars" },
    });
    expect(await failure(utf8("x"), "exe" as DocumentKind)).toMatchObject({ code: "unsupported_file_type" });
    expect(await failure(utf8("x"), "txt", { maxBytes: -1 })).toMatchObject({ code: "validation_failed" });
  });

  it("a text file that merely starts with the letters MZ is still text", async () => {
    expect((await extractText(utf8("MZ Corporation annual report"), "txt")).text).toBe(
      "MZ Corporation annual report",
    );
  });
});
