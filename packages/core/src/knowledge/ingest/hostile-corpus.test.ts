import { describe, expect, it } from "vitest";
import { isAppError } from "../../errors/app-error.ts";
import { extractText } from "./extract.ts";
import { configureExtractionThreads, liveExtractionWorkers } from "./worker-runner.ts";
import { availableParallelism } from "node:os";
import type { DocumentKind, ExtractLimits } from "./types.ts";
import {
  assemblePdf,
  makeDeclaredBombDocx,
  makeDeepPageTreePdf,
  makeDocx,
  makeEntityBombDocx,
  makeExe,
  makeFlateBombPdf,
  makeLyingBombDocx,
  makeManyEntriesDocx,
  makePageCountLiePdf,
  makePdf,
  makeRatioBombDocx,
} from "./testing/corpus.ts";
import { writeZip } from "./testing/zip-writer.ts";

interface Failure {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

async function failure(
  bytes: Uint8Array,
  kind: DocumentKind,
  limits: Partial<ExtractLimits> = {},
): Promise<Failure> {
  try {
    await extractText(bytes, kind, limits);
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details as Record<string, unknown> };
  }
  throw new Error("expected extraction to fail");
}

const GOOD_PDF = makePdf(["Enclave keeps data sovereignty.", "Second page\nwith two lines"]);

/** After every hostile file: no thread left behind, and a good document still extracts. */
async function expectUnharmed(): Promise<void> {
  expect(liveExtractionWorkers()).toBe(0);
  expect((await extractText(GOOD_PDF, "pdf")).pageCount).toBe(2);
  expect(liveExtractionWorkers()).toBe(0);
}

describe("real PDF and DOCX files extract", () => {
  it("a hand-written two-page PDF", async () => {
    const doc = await extractText(GOOD_PDF, "pdf");
    expect(doc).toEqual({
      kind: "pdf",
      text: "Enclave keeps data sovereignty.\n\nSecond page\nwith two lines",
      charCount: 59,
      pageCount: 2,
    });
    expect(liveExtractionWorkers()).toBe(0);
  });

  it("a zipped DOCX with English, Chinese and Japanese paragraphs", async () => {
    const doc = await extractText(
      makeDocx(["Quarterly report", "数据主权很重要。", "会話ログ <b>&amp;</b>"]),
      "docx",
    );
    expect(doc.text).toBe("Quarterly report\n\n数据主权很重要。\n\n会話ログ <b>&amp;</b>");
    expect(doc.pageCount).toBeUndefined();
  });
});

describe("hostile files fail cleanly and harm nothing else", () => {
  it("an .exe handed over as PDF, DOCX or text is refused by its bytes", async () => {
    for (const kind of ["pdf", "docx", "txt", "html", "markdown", "csv", "json"] as const) {
      const f = await failure(makeExe(), kind);
      expect(f.code).toBe("document_type_mismatch");
      expect(f.message).toContain("Windows executable");
    }
    await expectUnharmed();
  });

  it("an old-format (OLE) Office file or a spreadsheet named .docx is refused", async () => {
    const ole = new Uint8Array(1024);
    ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    expect(await failure(ole, "docx")).toMatchObject({
      code: "document_type_mismatch",
      message: expect.stringContaining("OLE"),
    });
    const xlsx = writeZip([
      { name: "[Content_Types].xml", data: "<Types/>" },
      { name: "xl/workbook.xml", data: "<workbook/>" },
    ]);
    expect(await failure(xlsx, "docx")).toMatchObject({
      code: "document_type_mismatch",
      message: expect.stringContaining("Excel"),
    });
    expect(await failure(writeZip([{ name: "a.txt", data: "x" }]), "docx")).toMatchObject({
      code: "document_type_mismatch",
    });
  });

  it("a DOCX zip bomb (real 1000:1 compression) is refused from its directory, before any parser", async () => {
    const bomb = makeRatioBombDocx(20);
    expect(bomb.byteLength).toBeLessThan(100_000);
    const f = await failure(bomb, "docx");
    expect(f).toMatchObject({ code: "document_too_large", details: { reason: "zip_ratio" } });
    expect(
      await failure(bomb, "docx", { maxCompressionRatio: 10_000, maxUncompressedBytes: 10 * 1024 * 1024 }),
    ).toMatchObject({
      code: "document_too_large",
      details: { reason: "zip_uncompressed_bytes" },
    });
    await expectUnharmed();
  });

  it("a DOCX whose headers claim 16 GiB is refused", async () => {
    expect(await failure(makeDeclaredBombDocx(), "docx")).toMatchObject({
      code: "document_too_large",
      details: { reason: "zip_uncompressed_bytes" },
    });
  });

  it("a DOCX whose header lies small is caught when the part is inflated under a hard cap", async () => {
    expect(await failure(makeLyingBombDocx(20), "docx")).toMatchObject({
      code: "document_too_large",
      message: expect.stringContaining("more than its header declares"),
    });
    await expectUnharmed();
  });

  it("a DOCX with an entity-expansion DTD (billion laughs) is refused", async () => {
    expect(await failure(makeEntityBombDocx(), "docx")).toMatchObject({
      code: "document_unreadable",
      message: expect.stringContaining("entities"),
    });
  });

  it("a DOCX with thousands of parts is refused by the entry cap", async () => {
    expect(await failure(makeManyEntriesDocx(6000), "docx")).toMatchObject({
      code: "document_too_large",
      details: { reason: "zip_entries", limit: 5000 },
    });
  });

  it("a truncated DOCX (no central directory) is unreadable", async () => {
    const docx = makeDocx(["hello"]);
    expect(await failure(docx.subarray(0, docx.byteLength - 30), "docx")).toMatchObject({
      code: "document_unreadable",
    });
  });

  it("a 1.4 KB PDF with a real 100,000-page tree is refused by its page count, before text", async () => {
    const pdf = makeDeepPageTreePdf(5);
    expect(pdf.byteLength).toBeLessThan(2000);
    expect(await failure(pdf, "pdf")).toMatchObject({
      code: "document_too_large",
      message: "The PDF is too large: it has 100000 pages, more than 2000.",
      details: { reason: "pages", limit: 2000 },
    });
    expect(await failure(GOOD_PDF, "pdf", { maxPages: 1 })).toMatchObject({
      details: { reason: "pages", limit: 1 },
    });
    await expectUnharmed();
  });

  it("a PDF that only claims 100,000 pages is read for the pages it really has", async () => {
    expect(await extractText(makePageCountLiePdf(100_000), "pdf")).toMatchObject({
      text: "tiny",
      pageCount: 1,
    });
  });

  it("a damaged PDF and one without text are unreadable", async () => {
    const damaged = new TextEncoder().encode("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage");
    expect(await failure(damaged, "pdf")).toMatchObject({ code: "document_unreadable" });
    const blank = assemblePdf([
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]);
    expect(await failure(blank, "pdf")).toMatchObject({
      code: "document_unreadable",
      message: expect.stringContaining("OCR"),
    });
    await expectUnharmed();
  });

  it("HTML with script, event handlers and javascript: links gives its text only", async () => {
    const html = new TextEncoder().encode(
      `<p onclick="alert(1)">Safe <a href="javascript:alert(document.cookie)">text</a></p>` +
        `<img src=x onerror=alert(2)><script>fetch("https://evil.example")</script><iframe src="javascript:alert(3)"></iframe>`,
    );
    const doc = await extractText(html, "html");
    expect(doc.text).toBe("Safe text");
  });

  it("a runaway extraction is stopped at its time limit and its thread is gone", async () => {
    const heavy = makePdf(
      Array.from({ length: 1500 }, (_, i) => `page ${i} lorem ipsum dolor sit amet\n`.repeat(40)),
    );
    const started = Date.now();
    const f = await failure(heavy, "pdf", { timeoutMs: 1500 });
    expect(f).toMatchObject({ code: "document_too_complex", details: { reason: "time", limit: 1500 } });
    // Functional bound, not a benchmark: the parser (which needs several seconds) was cut off.
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectUnharmed();
  });

  it("an extraction that outgrows its heap is stopped", async () => {
    expect(await failure(GOOD_PDF, "pdf", { workerMemoryMb: 4 })).toMatchObject({
      code: "document_too_complex",
      details: { reason: "memory" },
    });
    await expectUnharmed();
  });

  it("a 200 KB PDF whose content stream inflates to 200 MB is stopped by the memory watchdog", async () => {
    const bomb = await makeFlateBombPdf(200);
    expect(bomb.byteLength).toBeLessThan(400_000);
    // Control: the same limit is ample for a real document.
    expect((await extractText(GOOD_PDF, "pdf", { workerMemoryMb: 128 })).pageCount).toBe(2);
    expect(await failure(bomb, "pdf", { workerMemoryMb: 128 })).toMatchObject({
      code: "document_too_complex",
      details: { reason: "memory", limit: 128 },
    });
    await expectUnharmed();
  });

  it("hostile and good documents side by side: only the hostile ones fail", async () => {
    const results = await Promise.allSettled([
      extractText(makeLyingBombDocx(5), "docx"),
      extractText(GOOD_PDF, "pdf"),
      extractText(makeExe(), "pdf"),
      extractText(makeDocx(["still fine"]), "docx"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "rejected", "fulfilled"]);
    expect(liveExtractionWorkers()).toBe(0);
  });
});

describe("extraction thread cap", () => {
  it("a burst of documents runs at most maxThreads threads at once, and all finish", async () => {
    configureExtractionThreads({ maxThreads: 1 });
    try {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, liveExtractionWorkers())), 5);
      const docs = await Promise.all([1, 2, 3].map((n) => extractText(makeDocx([`burst ${n}`]), "docx")));
      clearInterval(sampler);
      expect(docs.map((d) => d.text)).toEqual(["burst 1", "burst 2", "burst 3"]);
      expect(peak).toBe(1);
    } finally {
      configureExtractionThreads({ maxThreads: Math.max(1, availableParallelism()) });
    }
    expect(() => configureExtractionThreads({ maxThreads: 0 })).toThrow(/positive integer/);
  });
});
