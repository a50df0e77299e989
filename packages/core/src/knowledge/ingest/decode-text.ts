import type { DocumentKind } from "./types.ts";
import { typeMismatch, unreadable } from "./errors.ts";

/** Magic numbers of binary formats that must never be read as text. */
const BINARY_MAGIC: [string, number[]][] = [
  ["a Windows executable", [0x4d, 0x5a]],
  ["an ELF executable", [0x7f, 0x45, 0x4c, 0x46]],
  ["a PDF", [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ["a zip archive", [0x50, 0x4b, 0x03, 0x04]],
  ["a PNG image", [0x89, 0x50, 0x4e, 0x47]],
  ["a JPEG image", [0xff, 0xd8, 0xff]],
  ["a GIF image", [0x47, 0x49, 0x46, 0x38]],
  ["a gzip archive", [0x1f, 0x8b]],
  ["a Mach-O executable", [0xcf, 0xfa, 0xed, 0xfe]],
  ["a Java class file", [0xca, 0xfe, 0xba, 0xbe]],
  ["a WebAssembly module", [0x00, 0x61, 0x73, 0x6d]],
  ["an OLE document (old Office)", [0xd0, 0xcf, 0x11, 0xe0]],
];

export function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

/** Names the binary format `bytes` start with, if any. */
export function binaryFormatOf(bytes: Uint8Array): string | undefined {
  return BINARY_MAGIC.find(([, magic]) => startsWith(bytes, magic))?.[0];
}

/**
 * Decodes a text document: a UTF-8/UTF-16 byte-order mark wins, then (HTML) a declared
 * charset, else strict UTF-8. Binary content (executables, archives, NUL bytes) is refused.
 */
export function decodeText(bytes: Uint8Array, kind: DocumentKind): string {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return strict("utf-8", bytes.subarray(3), kind);
  if (startsWith(bytes, [0xff, 0xfe])) return strict("utf-16le", bytes.subarray(2), kind);
  if (startsWith(bytes, [0xfe, 0xff])) return strict("utf-16be", bytes.subarray(2), kind);
  // "MZ" could begin a real sentence, so a magic number alone is not proof: binary also has NULs
  // or many control bytes near the start.
  const found = binaryFormatOf(bytes);
  if (looksBinary(bytes) || (found && found !== "a Windows executable")) throw typeMismatch(kind, found);
  const declared = kind === "html" ? declaredCharset(bytes) : undefined;
  if (declared && declared !== "utf-8") return strict(declared, bytes, kind);
  return strict("utf-8", bytes, kind);
}

function strict(encoding: string, bytes: Uint8Array, kind: DocumentKind): string {
  let decoder: { decode(input: Uint8Array): string };
  try {
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  } catch {
    throw unreadable(kind, `its declared character set "${encoding}" is not supported`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw unreadable(kind, `it is not valid ${encoding === "utf-8" ? "UTF-8" : encoding} text`);
  }
}

function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
  }
  return n > 0 && control / n > 0.1;
}

/** `<meta charset=…>` or `content="…; charset=…"` in the first 2 KiB, lowercased and normalised. */
function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 2048));
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})/i.exec(head);
  if (!m) return undefined;
  const label = m[1]!.toLowerCase();
  // As browsers do: a UTF-16 declaration in an ASCII-compatible file cannot be true.
  return label === "utf8" || label.startsWith("utf-16") ? "utf-8" : label;
}
