// A pool thread of the ingest benchmark: runs the pipeline over the documents it is handed.
import { parentPort, workerData } from "node:worker_threads";
import type { BenchDocument } from "./corpus.ts";
import { runPipeline } from "./pipeline.ts";

const stats = await runPipeline(workerData as BenchDocument[]);
parentPort?.postMessage(stats);
