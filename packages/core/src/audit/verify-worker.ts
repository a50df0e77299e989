// Worker thread for `audit verify`: hashes batches sent by verify.ts while the main thread reads
// and canonicalises the next ones. Messages are answered in order.
import { parentPort, workerData } from "node:worker_threads";
import { LeafHasher, unpackTexts } from "./leaf-hasher.ts";

const hasher = new LeafHasher(workerData as number[]);
parentPort!.on("message", (msg: { joined: string; lengths: Uint32Array }) => {
  const out = hasher.hashBatch(unpackTexts(msg.joined, msg.lengths));
  parentPort!.postMessage(out, [out.leaves.buffer]);
});
