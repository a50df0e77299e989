// Benchmark: ingestion throughput without the embedding step — extract (txt/markdown/html) +
// chunk (Dify automatic rules) + segmentForIndex of every chunk — over ~64 MB of synthetic
// English/Chinese/Japanese text from a fixed seed; first on one thread, then on a pool of one
// thread per core (documents dealt round-robin). Also times one PDF and one DOCX through the
// extraction worker (thread start included), for reference.
// Usage: npm run bench:ingest   (BENCH_INGEST_MB default 64, BENCH_SEED 42, BENCH_THREADS = cores)
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { extractText } from "../../packages/core/src/knowledge/ingest/index.ts";
import { makeDocx, makePdf } from "../../packages/core/src/knowledge/ingest/testing/corpus.ts";
import { generateCorpus, type BenchDocument } from "./corpus.ts";
import { runPipeline, type PipelineStats } from "./pipeline.ts";

const megabytes = Number(process.env.BENCH_INGEST_MB ?? 64);
const seed = Number(process.env.BENCH_SEED ?? 42);
const threads = Number(process.env.BENCH_THREADS ?? cpus().length);
const TARGET_MB_S = 10;

const docs = generateCorpus(seed, megabytes * 1024 * 1024);
const inputBytes = docs.reduce((n, d) => n + d.bytes.byteLength, 0);
console.log(
  `${docs.length} documents, ${(inputBytes / 1e6).toFixed(1)} MB; load average ${loadavg()[0]!.toFixed(2)}`,
);

const mbps = (bytes: number, ms: number) => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;

// 1. One thread.
const loadBefore = loadavg()[0]!;
const t1 = performance.now();
const single = await runPipeline(docs);
const singleMs = performance.now() - t1;
console.log(
  `one thread: ${mbps(inputBytes, singleMs)} MB/s wall, ${mbps(inputBytes, single.cpuMs)} MB/s per CPU-second`,
);

// 2. A pool: one thread per core.
function runThread(share: BenchDocument[]): Promise<PipelineStats> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./pool-worker.ts", import.meta.url), { workerData: share });
    w.once("message", resolve);
    w.once("error", reject);
  });
}
const shares: BenchDocument[][] = Array.from({ length: threads }, () => []);
docs.forEach((d, i) => shares[i % threads]!.push(d));
const tp = performance.now();
const pooled = await Promise.all(shares.map(runThread));
const poolMs = performance.now() - tp;
const poolCpuMs = pooled.reduce((n, s) => n + s.cpuMs, 0);
console.log(`${threads} threads: ${mbps(inputBytes, poolMs)} MB/s wall`);

// 3. Reference only: worker-thread extraction of PDF and DOCX, thread start included.
const pdf = makePdf(
  Array.from({ length: 50 }, (_, i) => `Page ${i} of the report. Data sovereignty matters.\n`.repeat(30)),
);
const docx = makeDocx(
  Array.from({ length: 2000 }, (_, i) => `Paragraph ${i}: 数据主权 and 会話ログ are indexed.`),
);
const tpdf = performance.now();
await extractText(pdf, "pdf");
const pdfMs = performance.now() - tpdf;
const tdocx = performance.now();
await extractText(docx, "docx");
const docxMs = performance.now() - tdocx;

const kinds = { txt: 0, markdown: 0, html: 0 };
for (const d of docs) kinds[d.kind] += d.bytes.byteLength;
const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? "unknown",
    node: process.version,
    loadAverage1m: {
      beforeOneThread: Math.round(loadBefore * 100) / 100,
      atEnd: Math.round(loadavg()[0]! * 100) / 100,
    },
    note: "2 cores shared with other engineers' test runs during the benchmark; wall-clock numbers depend on that load, per-CPU-second numbers much less",
  },
  seed,
  documents: docs.length,
  inputBytes,
  bytesByKind: kinds,
  chunks: single.chunks,
  tokens: single.tokens,
  oneThread: {
    wallMs: Math.round(singleMs),
    mbPerSecond: mbps(inputBytes, singleMs),
    mbPerCpuSecond: mbps(inputBytes, single.cpuMs),
    stageMs: {
      extract: Math.round(single.extractMs),
      chunk: Math.round(single.chunkMs),
      segmentForIndex: Math.round(single.segmentMs),
    },
    stageMbPerSecond: {
      extract: mbps(inputBytes, single.extractMs),
      chunk: mbps(inputBytes, single.chunkMs),
      segmentForIndex: mbps(inputBytes, single.segmentMs),
    },
  },
  pool: {
    threads,
    wallMs: Math.round(poolMs),
    mbPerSecond: mbps(inputBytes, poolMs),
    mbPerCpuSecond: mbps(inputBytes, poolCpuMs),
  },
  workerExtraction: {
    pdf50PagesMs: Math.round(pdfMs),
    pdfBytes: pdf.byteLength,
    docx2000ParagraphsMs: Math.round(docxMs),
    docxBytes: docx.byteLength,
  },
  target: { mbPerSecond: TARGET_MB_S },
};
console.log(JSON.stringify(result, null, 2));
await writeFile(new URL("../results/ingest.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
