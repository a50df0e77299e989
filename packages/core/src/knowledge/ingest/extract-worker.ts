// Entry of the extraction worker thread: PDF and DOCX parsers run here, under the thread's heap
// limit, and the parent terminates the thread when its time is up. It answers one message.
import { parentPort, workerData } from "node:worker_threads";
import { isAppError } from "../../errors/app-error.ts";
import { tooLarge, unreadable } from "./errors.ts";
import { verifyDocxParts, type ZipEntry } from "./zip.ts";
import type { ExtractLimits } from "./types.ts";

export interface WorkerInput {
  kind: "pdf" | "docx";
  bytes: Uint8Array;
  limits: ExtractLimits;
  entries?: ZipEntry[];
}

export type WorkerOutput =
  | { ok: true; text: string; pageCount?: number }
  | { ok: false; code: string; message: string; details?: unknown };

async function extractPdf(
  bytes: Uint8Array,
  limits: ExtractLimits,
): Promise<{ text: string; pageCount: number }> {
  const { getDocumentProxy } = await import("unpdf");
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // The bundled pdf.js has no eval path for fonts any more (CVE-2024-4367 was one); font faces
    // and system fonts are off since only text is wanted.
    pdf = await getDocumentProxy(bytes, {
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "PasswordException") throw unreadable("pdf", "it is password-protected");
    throw unreadable("pdf", "it is damaged or not a PDF");
  }
  const pageCount = pdf.numPages;
  if (pageCount > limits.maxPages) {
    throw tooLarge(
      "pdf",
      "pages",
      limits.maxPages,
      `it has ${pageCount} pages, more than ${limits.maxPages}`,
    );
  }
  const pages: string[] = [];
  let chars = 0;
  for (let n = 1; n <= pageCount; n++) {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    let text = "";
    for (const item of content.items) {
      if ("str" in item) text += item.str + (item.hasEOL ? "\n" : "");
    }
    page.cleanup();
    chars += text.length;
    if (chars > limits.maxChars) {
      throw tooLarge(
        "pdf",
        "chars",
        limits.maxChars,
        `its text is longer than ${limits.maxChars} characters`,
      );
    }
    pages.push(text.trim());
  }
  await pdf.loadingTask.destroy();
  return { text: pages.filter(Boolean).join("\n\n"), pageCount };
}

async function extractDocx(bytes: Uint8Array, entries: ZipEntry[]): Promise<{ text: string }> {
  verifyDocxParts(bytes, entries);
  const mammoth = await import("mammoth");
  try {
    const result = await mammoth.extractRawText({
      buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
    return { text: result.value };
  } catch {
    throw unreadable("docx", "it is damaged or not a Word document");
  }
}

async function run(input: WorkerInput): Promise<WorkerOutput> {
  try {
    const result =
      input.kind === "pdf"
        ? await extractPdf(input.bytes, input.limits)
        : await extractDocx(input.bytes, input.entries ?? []);
    return { ok: true, ...result };
  } catch (err) {
    if (isAppError(err)) return { ok: false, code: err.code, message: err.message, details: err.details };
    return {
      ok: false,
      code: "document_unreadable",
      message: `The ${input.kind === "pdf" ? "PDF" : "Word document"} could not be read: it is damaged.`,
    };
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as WorkerInput).then((out) => port.postMessage(out));
}
