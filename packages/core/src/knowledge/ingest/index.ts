export * from "./types.ts";
export { extractText } from "./extract.ts";
export { configureExtractionThreads, liveExtractionWorkers } from "./worker-runner.ts";
export { countTokens } from "./tokens.ts";
export { cleanText, type CleanupOptions } from "./cleanup.ts";
export {
  chunkDocument,
  unescapeSeparator,
  DEFAULT_CLEANUP,
  DEFAULT_SEGMENTATION,
  FULL_DOC_MAX_TOKENS,
  type Chunk,
  type ChunkOptions,
  type ChunkResult,
  type GeneralChunkOptions,
  type ParentChildChunkOptions,
  type ParentChunk,
  type SegmentationOptions,
} from "./chunk.ts";
export { chunkOptionsFromProcessRule } from "./process-rule.ts";
export { segmentForIndex, segmentQuery, MAX_QUERY_TERMS } from "./full-text.ts";
export { documentKindFromExtension } from "./kinds.ts";
