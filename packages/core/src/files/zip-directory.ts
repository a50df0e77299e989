// Reads the names in a zip's central directory without inflating anything, so telling a DOCX from
// another archive costs no decompression (and a zip bomb costs nothing here).

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
/** More entries than any document has: a directory claiming more is not a document. */
const MAX_ENTRIES = 5000;

/** The entry names of a zip archive, or null when its central directory is missing or malformed. */
export function zipEntryNames(bytes: Uint8Array): Set<string> | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) return null;
  const entries = view.getUint16(eocd + 10, true);
  const size = view.getUint32(eocd + 12, true);
  const offset = view.getUint32(eocd + 16, true);
  // 0xFFFF / 0xFFFFFFFF mean a ZIP64 directory; documents never need one.
  if (entries === 0xffff || offset === 0xffffffff || entries > MAX_ENTRIES) return null;
  if (offset + size > eocd) return null;
  const names = new Set<string>();
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let at = offset;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) return null;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const end = at + 46 + nameLength;
    if (end > eocd) return null;
    names.add(decoder.decode(bytes.subarray(at + 46, end)));
    at = end + extraLength + commentLength;
  }
  return names;
}

function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_MIN;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  return -1;
}
