import { AppError } from "../errors/app-error.ts";
import { fileExtension, safeFileName } from "./file-name.ts";
import { zipEntryNames } from "./zip-directory.ts";

export type FileKind = "image" | "document";

/** What an upload really is, decided from its bytes; the declared name only picks among text kinds. */
export interface SniffedFile {
  kind: FileKind;
  mime: string;
  /** Canonical extension, without the dot. */
  extension: string;
}

interface BinaryType {
  kind: FileKind;
  mime: string;
  extension: string;
  /** Extensions a file of this type may be declared with. */
  accepts: readonly string[];
}

const PNG: BinaryType = { kind: "image", mime: "image/png", extension: "png", accepts: ["png"] };
const JPEG: BinaryType = { kind: "image", mime: "image/jpeg", extension: "jpg", accepts: ["jpg", "jpeg"] };
const GIF: BinaryType = { kind: "image", mime: "image/gif", extension: "gif", accepts: ["gif"] };
const WEBP: BinaryType = { kind: "image", mime: "image/webp", extension: "webp", accepts: ["webp"] };
const PDF: BinaryType = { kind: "document", mime: "application/pdf", extension: "pdf", accepts: ["pdf"] };
const DOCX: BinaryType = {
  kind: "document",
  mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  extension: "docx",
  accepts: ["docx"],
};

/** Text kinds, chosen by the declared extension once the bytes are known to be plain UTF-8 text. */
const TEXT_KINDS: Record<string, { mime: string; extension: string }> = {
  txt: { mime: "text/plain", extension: "txt" },
  text: { mime: "text/plain", extension: "txt" },
  md: { mime: "text/markdown", extension: "md" },
  markdown: { mime: "text/markdown", extension: "md" },
  html: { mime: "text/html", extension: "html" },
  htm: { mime: "text/html", extension: "html" },
  csv: { mime: "text/csv", extension: "csv" },
  json: { mime: "application/json", extension: "json" },
};

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

// Executables and scripts: refused whatever they are called.
const EXECUTABLES: readonly (readonly number[])[] = [
  ascii("MZ"), // PE / DOS
  [0x7f, 0x45, 0x4c, 0x46], // ELF
  [0xfe, 0xed, 0xfa, 0xce], // Mach-O 32
  [0xfe, 0xed, 0xfa, 0xcf], // Mach-O 64
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe], // Mach-O universal / Java class
  [0x00, 0x61, 0x73, 0x6d], // WebAssembly
  ascii("#!"), // scripts with an interpreter line
];

// Archives and compressed streams other than a DOCX: refused (nothing here unpacks them).
const ARCHIVES: readonly (readonly number[])[] = [
  [0x1f, 0x8b], // gzip
  ascii("BZh"),
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  ascii("Rar!\x1a\x07"),
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  ascii("MSCF"), // cabinet
  [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], // OLE2 (legacy Office, MSI)
];
const ZIP_SIGNATURES: readonly (readonly number[])[] = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06],
  [0x50, 0x4b, 0x07, 0x08],
];

const refuse = (message: string): AppError => new AppError("unsupported_file_type", message);

/**
 * Decides what an upload is from its bytes: PNG, JPEG, GIF, WebP images; PDF, DOCX, and UTF-8
 * text (txt, md, html, csv, json — the declared extension picks which) documents. Executables,
 * other archives, and bytes that contradict the declared extension throw `unsupported_file_type`.
 */
export function sniffFile(bytes: Uint8Array, declaredName: string): SniffedFile {
  if (bytes.length === 0) throw refuse("the file is empty");
  const declared = fileExtension(safeFileName(declaredName));
  if (EXECUTABLES.some((sig) => startsWith(bytes, sig))) throw refuse("executable files are not accepted");
  if (ARCHIVES.some((sig) => startsWith(bytes, sig)) || startsWith(bytes, ascii("ustar"), 257)) {
    throw refuse("archives are not accepted");
  }
  const binary = binaryType(bytes);
  if (binary) {
    if (declared && !binary.accepts.includes(declared)) {
      throw refuse(`the file's content (${binary.extension}) does not match its extension (.${declared})`);
    }
    return { kind: binary.kind, mime: binary.mime, extension: binary.extension };
  }
  return textType(bytes, declared);
}

function binaryType(b: Uint8Array): BinaryType | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return PNG;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return JPEG;
  if (startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"))) return GIF;
  if (startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)) return WEBP;
  if (startsWith(b, ascii("%PDF-"))) return PDF;
  if (ZIP_SIGNATURES.some((sig) => startsWith(b, sig))) {
    if (isDocx(b)) return DOCX;
    throw refuse("archives are not accepted");
  }
  return null;
}

/** A Word document: a zip holding the OOXML parts, without macros (a .docm renamed is refused). */
function isDocx(b: Uint8Array): boolean {
  const names = zipEntryNames(b);
  if (!names) return false;
  return (
    names.has("[Content_Types].xml") && names.has("word/document.xml") && !names.has("word/vbaProject.bin")
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function textType(bytes: Uint8Array, declared: string): SniffedFile {
  const kind = TEXT_KINDS[declared || "txt"];
  if (!kind) {
    throw refuse(declared ? `.${declared} files are not accepted` : "this type of file is not accepted");
  }
  if (bytes.includes(0)) throw refuse("the file is binary, not text");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw refuse("text files must be UTF-8");
  }
  if (kind.extension === "json") {
    try {
      JSON.parse(text);
    } catch {
      throw refuse("the file is not valid JSON");
    }
  }
  return { kind: "document", mime: kind.mime, extension: kind.extension };
}
