import { crc32, inflateRawSync } from "node:zlib";
import { tooLarge, typeMismatch, unreadable } from "./errors.ts";
import type { ExtractLimits } from "./types.ts";

// A DOCX is a zip. Before any zip library sees it, its central directory is read here and
// checked against entry-count, total-size and compression-ratio caps; then (in the extraction
// worker) every XML part is inflated with a hard output cap, so a header that lies about its
// size is caught too, and any DTD (entity expansion) is refused.

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Entries smaller than this are not ratio-checked: tiny XML parts compress very well. */
const RATIO_FLOOR = 256 * 1024;

const bad = (why: string) => unreadable("docx", why);

/** Reads the central directory; a truncated or inconsistent one is refused. */
export function readZipDirectory(bytes: Uint8Array, maxEntries: number): ZipEntry[] {
  try {
    return parseDirectory(bytes, maxEntries);
  } catch (err) {
    // DataView reads past the end throw RangeError: the directory lies about its extent.
    if (err instanceof RangeError) throw bad("its zip central directory is damaged");
    throw err;
  }
}

function parseDirectory(bytes: Uint8Array, maxEntries: number): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(view);
  if (eocd < 0) throw bad("its zip structure is damaged (no central directory)");
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const z64 = readZip64Eocd(view, eocd);
    count = z64.count;
    size = z64.size;
    offset = z64.offset;
  }
  if (count > maxEntries) {
    throw tooLarge("docx", "zip_entries", maxEntries, `it has ${count} parts, more than ${maxEntries}`);
  }
  if (offset + size > bytes.byteLength) throw bad("its zip central directory is out of bounds");
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > offset + size || view.getUint32(p, true) !== CENTRAL)
      throw bad("its zip central directory is damaged");
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const entry: ZipEntry = {
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      uncompressedSize: view.getUint32(p + 24, true),
      localHeaderOffset: view.getUint32(p + 42, true),
      name: new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen)),
    };
    applyZip64Extra(view, p + 46 + nameLen, extraLen, entry);
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Checks a DOCX's directory against the limits and that it really is a Word document. */
export function checkDocxDirectory(entries: ZipEntry[], limits: ExtractLimits): void {
  let total = 0;
  for (const e of entries) {
    if (e.flags & 0x1) throw unreadable("docx", "it is password-protected");
    total += e.uncompressedSize;
    if (total > limits.maxUncompressedBytes) {
      throw tooLarge(
        "docx",
        "zip_uncompressed_bytes",
        limits.maxUncompressedBytes,
        `it unpacks to more than ${limits.maxUncompressedBytes} bytes`,
      );
    }
    const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
    if (e.uncompressedSize > RATIO_FLOOR && ratio > limits.maxCompressionRatio) {
      throw tooLarge(
        "docx",
        "zip_ratio",
        limits.maxCompressionRatio,
        `a part is compressed ${Math.round(ratio)}:1, more than ${limits.maxCompressionRatio}:1`,
      );
    }
  }
  const names = new Set(entries.map((e) => e.name));
  if (!names.has("[Content_Types].xml")) throw typeMismatch("docx", "a zip archive");
  if (!entries.some((e) => e.name.startsWith("word/"))) {
    if (entries.some((e) => e.name.startsWith("xl/"))) throw typeMismatch("docx", "an Excel workbook");
    if (entries.some((e) => e.name.startsWith("ppt/")))
      throw typeMismatch("docx", "a PowerPoint presentation");
    throw typeMismatch("docx", "a zip archive");
  }
}

/** Inflates every XML part under a hard cap of its declared size, checks CRCs, refuses DTDs. */
export function verifyDocxParts(bytes: Uint8Array, entries: ZipEntry[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const e of entries) {
    if (!/\.(xml|rels)$/i.test(e.name)) continue;
    const data = entryData(bytes, view, e);
    let out: Uint8Array;
    if (e.method === 0) out = data;
    else if (e.method === 8) {
      try {
        out = inflateRawSync(data, { maxOutputLength: Math.max(1, e.uncompressedSize) });
      } catch (err) {
        if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
          throw tooLarge(
            "docx",
            "zip_uncompressed_bytes",
            e.uncompressedSize,
            "a part unpacks to more than its header declares",
          );
        }
        throw bad("a part of it is damaged");
      }
    } else throw bad("it uses an unsupported zip compression method");
    if (out.byteLength !== e.uncompressedSize || crc32(out) >>> 0 !== e.crc >>> 0) {
      throw bad("a part of it is damaged (size or checksum mismatch)");
    }
    const head = Buffer.from(out.buffer, out.byteOffset, Math.min(out.byteLength, 4096)).toString("latin1");
    if (/<!DOCTYPE|<!ENTITY/i.test(head)) throw bad("it declares XML entities, which Word files never do");
  }
}

function entryData(bytes: Uint8Array, view: DataView, e: ZipEntry): Uint8Array {
  const p = e.localHeaderOffset;
  if (p + 30 > bytes.byteLength || view.getUint32(p, true) !== LOCAL)
    throw bad("its zip local headers are damaged");
  const start = p + 30 + view.getUint16(p + 26, true) + view.getUint16(p + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.byteLength) throw bad("a part of it is truncated");
  return bytes.subarray(start, end);
}

function findEocd(view: DataView): number {
  const min = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let p = view.byteLength - 22; p >= min; p--) {
    if (view.getUint32(p, true) === EOCD) return p;
  }
  return -1;
}

function readZip64Eocd(view: DataView, eocd: number): { count: number; size: number; offset: number } {
  const loc = eocd - 20;
  if (loc < 0 || view.getUint32(loc, true) !== ZIP64_LOCATOR) throw bad("its zip64 directory is missing");
  const at = Number(view.getBigUint64(loc + 8, true));
  if (at + 56 > view.byteLength || view.getUint32(at, true) !== ZIP64_EOCD)
    throw bad("its zip64 directory is damaged");
  return {
    count: safeNumber(view.getBigUint64(at + 32, true)),
    size: safeNumber(view.getBigUint64(at + 40, true)),
    offset: safeNumber(view.getBigUint64(at + 48, true)),
  };
}

function applyZip64Extra(view: DataView, start: number, length: number, e: ZipEntry): void {
  let p = start;
  const end = start + length;
  while (p + 4 <= end) {
    const id = view.getUint16(p, true);
    const size = view.getUint16(p + 2, true);
    if (id === 0x0001) {
      let q = p + 4;
      const next = (): number => {
        if (q + 8 > p + 4 + size) throw bad("its zip64 sizes are damaged");
        const v = safeNumber(view.getBigUint64(q, true));
        q += 8;
        return v;
      };
      if (e.uncompressedSize === 0xffffffff) e.uncompressedSize = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = next();
    }
    p += 4 + size;
  }
}

function safeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad("its zip sizes are out of range");
  return Number(v);
}
