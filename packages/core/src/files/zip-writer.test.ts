import { describe, expect, it } from "vitest";
import { inflateRawSync } from "node:zlib";
import { readZipDirectory } from "../knowledge/ingest/zip.ts";
import { uniqueNames, zipFiles } from "./zip-writer.ts";

/** Reads each entry back through the ingest ZIP reader and a raw inflate of its local data. */
function unzip(zip: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readZipDirectory(zip, 100)) {
    const at = e.localHeaderOffset;
    const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
    out[e.name] = inflateRawSync(zip.subarray(start, start + e.compressedSize)).toString("utf8");
  }
  return out;
}

describe("zipFiles", () => {
  it("writes entries that a ZIP reader reads back byte for byte, UTF-8 names included", () => {
    const zip = zipFiles([
      { name: "notes.md", bytes: Buffer.from("# Notes\n".repeat(100)) },
      { name: "会話ログ.txt", bytes: Buffer.from("数据主权") },
      { name: "empty.txt", bytes: new Uint8Array() },
    ]);
    expect(unzip(zip)).toEqual({
      "notes.md": "# Notes\n".repeat(100),
      "会話ログ.txt": "数据主权",
      "empty.txt": "",
    });
  });

  it("an empty archive is still a valid one", () => {
    expect(readZipDirectory(zipFiles([]), 10)).toEqual([]);
  });
});

describe("uniqueNames", () => {
  it("numbers repeated names before the extension, case-insensitively", () => {
    expect(uniqueNames(["a.txt", "A.txt", "a.txt", "b", "b"])).toEqual([
      "a.txt",
      "A (2).txt",
      "a (3).txt",
      "b",
      "b (2)",
    ]);
  });
});
