import { once } from "node:events";
import { createDeflate } from "node:zlib";
import { writeZip, type ZipInput } from "./zip-writer.ts";

// Test-only builders for real and hostile documents, generated in memory so no binary blob is
// committed. PDFs are written by hand (objects, xref, trailer); DOCX through writeZip.

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;
const ROOT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function documentXml(paragraphs: string[]): string {
  const body = paragraphs
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${escapeXml(p)}</w:t></w:r></w:p>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
}

/** A real, minimal DOCX with one paragraph per string. */
export function makeDocx(paragraphs: string[], extra: ZipInput[] = []): Uint8Array {
  return writeZip([
    { name: "[Content_Types].xml", data: CONTENT_TYPES },
    { name: "_rels/.rels", data: ROOT_RELS },
    { name: "word/document.xml", data: documentXml(paragraphs) },
    ...extra,
  ]);
}

/** A DOCX whose document.xml really inflates to `mb` MiB (a compression-ratio bomb). */
export function makeRatioBombDocx(mb: number): Uint8Array {
  const xml = documentXml(["boom"]).replace("<w:body>", `<w:body>${" ".repeat(mb * 1024 * 1024)}`);
  return writeZip([
    { name: "[Content_Types].xml", data: CONTENT_TYPES },
    { name: "_rels/.rels", data: ROOT_RELS },
    { name: "word/document.xml", data: xml },
  ]);
}

/** A DOCX whose headers claim a huge total size (4 GiB per part, 4 parts). */
export function makeDeclaredBombDocx(): Uint8Array {
  const parts = [0, 1, 2, 3].map((i) => ({
    name: `word/media/blob${i}.bin`,
    data: "x",
    declaredSize: 0xfffffffe,
  }));
  return makeDocx(["hello"], parts);
}

/** A DOCX whose document.xml lies: it declares 2 KiB and inflates to `mb` MiB. */
export function makeLyingBombDocx(mb: number): Uint8Array {
  const xml = documentXml(["lie"]).replace("<w:body>", `<w:body>${" ".repeat(mb * 1024 * 1024)}`);
  return writeZip([
    { name: "[Content_Types].xml", data: CONTENT_TYPES },
    { name: "_rels/.rels", data: ROOT_RELS },
    { name: "word/document.xml", data: xml, declaredSize: 2048 },
  ]);
}

/** A DOCX with an entity-expansion ("billion laughs") DTD in document.xml. */
export function makeEntityBombDocx(): Uint8Array {
  const levels = ['<!ENTITY a0 "ha">'];
  for (let i = 1; i < 10; i++) levels.push(`<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`);
  const xml = documentXml(["&a9;"])
    .replace("&amp;a9;", "&a9;")
    .replace("<w:document", `<!DOCTYPE w:document [${levels.join("")}]><w:document`);
  return writeZip([
    { name: "[Content_Types].xml", data: CONTENT_TYPES },
    { name: "_rels/.rels", data: ROOT_RELS },
    { name: "word/document.xml", data: xml },
  ]);
}

/** A zip with `n` empty parts. */
export function makeManyEntriesDocx(n: number): Uint8Array {
  const parts: ZipInput[] = [];
  for (let i = 0; i < n; i++) parts.push({ name: `word/x${i}.bin`, data: "", stored: true });
  return makeDocx(["many"], parts);
}

function escapePdfString(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\(/g, "\\(").replace(/\)/g, "\\)");
}

/** Assembles numbered objects (1-based) into a PDF with a correct xref table. */
export function assemblePdf(objects: string[]): Uint8Array {
  let out = "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, "latin1"));
}

function stream(content: string): string {
  return `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`;
}

/** A real PDF: one page per entry, each line of the entry drawn as a line of Helvetica text. */
export function makePdf(pages: string[]): Uint8Array {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const kids: string[] = [];
  for (const page of pages) {
    const lines = page.split("\n").map((l) => `(${escapePdfString(l)}) Tj T*`);
    const content = `BT /F1 12 Tf 14 TL 72 720 Td ${lines.join(" ")} ET`;
    objects.push(stream(content));
    const contentRef = objects.length;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentRef} 0 R >>`,
    );
    kids.push(`${objects.length} 0 R`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(" ")}] /Count ${pages.length} >>`;
  return assemblePdf(objects);
}

/** A one-page PDF whose page tree claims `count` pages. */
export function makePageCountLiePdf(count: number): Uint8Array {
  const pdf = Buffer.from(makePdf(["tiny"]))
    .toString("latin1")
    .replace("/Count 1 >>", `/Count ${count} >>`);
  return new Uint8Array(Buffer.from(pdf, "latin1"));
}

/** A small PDF with a real page tree of 10^depth leaves (nodes shared, so the file stays tiny). */
export function makeDeepPageTreePdf(depth: number): Uint8Array {
  // Object 1 catalog, 2 font, 3 contents, 4 the one leaf page, 5.. the tree levels (5 = root).
  const objects = [
    "<< /Type /Catalog /Pages 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    stream("BT /F1 12 Tf 72 720 Td (leaf) Tj ET"),
    `<< /Type /Page /Parent ${4 + depth} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 2 0 R >> >> /Contents 3 0 R >>`,
  ];
  for (let level = 0; level < depth; level++) {
    const child = level === depth - 1 ? 4 : 6 + level;
    const kids = Array.from({ length: 10 }, () => `${child} 0 R`).join(" ");
    objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${10 ** (depth - level)} >>`);
  }
  return assemblePdf(objects);
}

/** The first bytes of a Windows executable, padded: what an .exe renamed .pdf looks like. */
export function makeExe(): Uint8Array {
  const bytes = new Uint8Array(4096);
  bytes.set([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff]);
  bytes.set(Buffer.from("This program cannot be run in DOS mode.", "latin1"), 0x4e);
  bytes.set([0x50, 0x45, 0x00, 0x00], 0x80);
  return bytes;
}

/** A small PDF whose one content stream inflates to `mb` MiB of spaces (a deflate bomb). */
export async function makeFlateBombPdf(mb: number): Promise<Uint8Array> {
  // Streamed, so building the bomb never holds the inflated bytes.
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const deflate = createDeflate();
  const parts: Buffer[] = [];
  deflate.on("data", (b: Buffer) => parts.push(b));
  const ended = once(deflate, "end");
  for (let i = 0; i < mb; i++) if (!deflate.write(chunk)) await once(deflate, "drain");
  deflate.end();
  await ended;
  const z = Buffer.concat(parts);
  const marker = "@@STREAM@@";
  const text = Buffer.from(
    assemblePdf([
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
      marker,
    ]),
  ).toString("latin1");
  const [before, after] = text.split(marker) as [string, string];
  // The xref offsets after the stream are off by the stream's size; pdf.js rebuilds the table.
  return new Uint8Array(
    Buffer.concat([
      Buffer.from(`${before}<< /Length ${z.length} /Filter /FlateDecode >>\nstream\n`, "latin1"),
      z,
      Buffer.from(`\nendstream${after}`, "latin1"),
    ]),
  );
}
