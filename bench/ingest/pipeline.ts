// The measured pipeline, shared by the main thread and the pool threads: extract, chunk with
// Dify's automatic rules, segment every chunk for the full-text index. No embedding.
import {
  chunkDocument,
  chunkOptionsFromProcessRule,
  extractText,
  segmentForIndex,
} from "../../packages/core/src/knowledge/ingest/index.ts";
import type { BenchDocument } from "./corpus.ts";

export interface PipelineStats {
  bytes: number;
  chunks: number;
  tokens: number;
  indexedChars: number;
  extractMs: number;
  chunkMs: number;
  segmentMs: number;
  /** CPU time this thread used (user + system), in ms. */
  cpuMs: number;
}

const options = chunkOptionsFromProcessRule({ mode: "automatic" });

export async function runPipeline(docs: BenchDocument[]): Promise<PipelineStats> {
  const stats: PipelineStats = {
    bytes: 0,
    chunks: 0,
    tokens: 0,
    indexedChars: 0,
    extractMs: 0,
    chunkMs: 0,
    segmentMs: 0,
    cpuMs: 0,
  };
  const cpu0 = process.threadCpuUsage();
  for (const doc of docs) {
    const a = performance.now();
    const extracted = await extractText(doc.bytes, doc.kind);
    const b = performance.now();
    const result = chunkDocument(extracted.text, options);
    const c = performance.now();
    if (result.mode !== "general") throw new Error("automatic rules give general chunks");
    for (const chunk of result.chunks) {
      stats.indexedChars += segmentForIndex(chunk.content).length;
      stats.tokens += chunk.tokens;
    }
    const d = performance.now();
    stats.bytes += doc.bytes.byteLength;
    stats.chunks += result.chunks.length;
    stats.extractMs += b - a;
    stats.chunkMs += c - b;
    stats.segmentMs += d - c;
  }
  const cpu = process.threadCpuUsage(cpu0);
  stats.cpuMs = (cpu.user + cpu.system) / 1000;
  return stats;
}
