import { describe, expect, it } from "vitest";
import { isAppError } from "../errors/app-error.ts";
import { makeDocx, makeZip, PNG_BYTES } from "../../test/file-fixtures.ts";
import { safeFileName } from "./file-name.ts";
import { sniffFile } from "./sniff.ts";

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p)))),
  );
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

function refused(b: Uint8Array, name: string): string {
  try {
    sniffFile(b, name);
  } catch (err) {
    if (isAppError(err) && err.code === "unsupported_file_type" && err.status === 415) return err.message;
    throw err;
  }
  throw new Error(`${name} was accepted`);
}

const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], "JFIF", [0]);
const GIF = bytes("GIF89a", [1, 0, 1, 0, 0, 0, 0]);
const WEBP = bytes("RIFF", [0x1a, 0, 0, 0], "WEBPVP8 ");
const PDF = bytes("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n");

describe("sniffFile", () => {
  it("recognises images and documents from their bytes", () => {
    expect(sniffFile(PNG_BYTES, "photo.png")).toEqual({ kind: "image", mime: "image/png", extension: "png" });
    expect(sniffFile(JPEG, "photo.JPEG")).toEqual({ kind: "image", mime: "image/jpeg", extension: "jpg" });
    expect(sniffFile(GIF, "a.gif").mime).toBe("image/gif");
    expect(sniffFile(WEBP, "a.webp").mime).toBe("image/webp");
    expect(sniffFile(PDF, "report.pdf")).toEqual({
      kind: "document",
      mime: "application/pdf",
      extension: "pdf",
    });
    expect(sniffFile(makeDocx(), "letter.docx")).toEqual({
      kind: "document",
      mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      extension: "docx",
    });
  });

  it("lets the extension pick among text kinds, and checks the text", () => {
    expect(sniffFile(utf8("# Title\nbody"), "notes.md").mime).toBe("text/markdown");
    expect(sniffFile(utf8("a,b\n1,2\n"), "t.csv").mime).toBe("text/csv");
    expect(sniffFile(utf8("<p>hi</p>"), "page.htm")).toEqual({
      kind: "document",
      mime: "text/html",
      extension: "html",
    });
    expect(sniffFile(utf8('{"a": [1, "ü"]}'), "d.json").mime).toBe("application/json");
    expect(sniffFile(utf8("Grüße, 你好"), "hello.txt").mime).toBe("text/plain");
    expect(sniffFile(utf8("no extension at all"), "README").extension).toBe("txt");
    expect(refused(utf8("{not json"), "d.json")).toMatch(/JSON/);
    expect(refused(bytes("caf\xe9"), "latin1.txt")).toMatch(/UTF-8/);
    expect(refused(bytes("abc", [0], "def"), "nul.txt")).toMatch(/binary/);
  });

  it("refuses executables whatever they are called", () => {
    const pe = bytes("MZ", [0x90, 0, 3, 0], "This program cannot be run in DOS mode");
    for (const name of ["setup.exe", "invoice.pdf", "photo.png", "notes.txt", "x"]) refused(pe, name);
    refused(bytes([0x7f], "ELF", [2, 1, 1, 0]), "report.pdf");
    refused(bytes([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), "mac.txt");
    refused(bytes([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), "universal.docx");
    refused(utf8("#!/bin/sh\nrm -rf /\n"), "notes.txt");
  });

  it("refuses content that contradicts the extension", () => {
    expect(refused(PNG_BYTES, "invoice.pdf")).toMatch(/does not match/);
    refused(PDF, "image.png");
    refused(JPEG, "photo.png");
    refused(makeDocx(), "report.pdf");
    // Text that claims a binary type, and text kinds we do not take (scripts, SVG).
    refused(utf8("just text"), "fake.pdf");
    refused(utf8("<svg onload=alert(1)>"), "logo.svg");
    refused(utf8("alert(1)"), "app.js");
    refused(utf8("MZ is just two letters"), "readme.txt");
  });

  it("refuses other archives, macro documents and broken zips", () => {
    refused(makeZip({ "a.txt": "x" }), "archive.zip");
    refused(makeZip({ "a.txt": "x" }), "letter.docx");
    refused(makeZip({ "[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<w/>" }), "sheet.docx");
    const docm = makeZip({
      "[Content_Types].xml": "<Types/>",
      "word/document.xml": "<w:document/>",
      "word/vbaProject.bin": "macro",
    });
    refused(docm, "letter.docx");
    refused(makeDocx().subarray(0, 60), "truncated.docx");
    refused(bytes([0x1f, 0x8b, 8, 0]), "data.txt");
    refused(bytes("Rar!\x1a\x07\x00"), "a.pdf");
    refused(bytes([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), "a.docx");
    const tar = new Uint8Array(512);
    tar.set(Buffer.from("file.txt"), 0);
    tar.set(Buffer.from("ustar"), 257);
    refused(tar, "backup.txt");
  });

  it("refuses an empty file and names that hide their extension", () => {
    refused(new Uint8Array(0), "empty.txt");
    // RTL override: shows as "invoice‮fdp.exe" → the real extension is .exe.
    refused(utf8("text"), "invoice\u202efdp.exe");
    refused(PNG_BYTES, "photo.png\u0000.exe");
  });
});

describe("safeFileName", () => {
  it("keeps only the last path segment", () => {
    expect(safeFileName("../../etc/passwd")).toBe("passwd");
    expect(safeFileName("..\\..\\windows\\system32\\cmd.exe")).toBe("cmd.exe");
    expect(safeFileName("/var/www/")).toBe("www");
    expect(safeFileName("C:\\Users\\me\\report.pdf")).toBe("report.pdf");
  });

  it("removes control, bidi and zero-width characters and leading dots", () => {
    expect(safeFileName("a\u0000b\r\n.txt")).toBe("ab.txt");
    expect(safeFileName("invoice\u202efdp.exe")).toBe("invoicefdp.exe");
    expect(safeFileName("x\u200b\u2066y\u2069.md")).toBe("xy.md");
    expect(safeFileName(".htaccess")).toBe("htaccess");
    expect(safeFileName('a<b>:"c"|?*.txt')).toBe("a_b___c____.txt");
    expect(safeFileName("  spaced name.txt  ")).toBe("spaced name.txt");
  });

  it("is never empty", () => {
    for (const name of ["", "..", ".", "/", "\\\\", "\u0000\u0001", "\u202e", "   ", "../..//"]) {
      expect(safeFileName(name)).toBe("file");
    }
  });

  it("is at most 200 characters and keeps the extension", () => {
    const long = `${"é".repeat(500)}.pdf`;
    const safe = safeFileName(long);
    expect(Array.from(safe)).toHaveLength(200);
    expect(safe.endsWith(".pdf")).toBe(true);
    const emoji = safeFileName("😀".repeat(300));
    expect(Array.from(emoji)).toHaveLength(200);
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
