// A verification thread: hashes the batches it is sent (leaf-batch.ts) and returns the buffers.
import { parentPort } from "node:worker_threads";
import { hashBatch, transferList } from "./leaf-batch.ts";

parentPort!.on("message", (msg: { id: number; json: string }) => {
  const out = hashBatch(msg.json);
  parentPort!.postMessage({ id: msg.id, out }, transferList(out));
});
