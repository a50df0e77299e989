// Worker thread of `audit verify`: verifies whole seq ranges on its own PostgreSQL connection, so
// the rows never cross threads. Ranges arrive as messages and are answered in order.
import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";
import { RANGE_SQL, verifyTask, type EventColumns, type RangeTask } from "./verify-range.ts";

const client = new pg.Client(workerData as pg.ClientConfig);
const connected = client.connect();
// A failure is reported as the answer to the next task; main then gives up the parallel run.
connected.catch(() => undefined);

const read = async (after: number, limit: number) =>
  (await client.query<EventColumns>({ text: RANGE_SQL, values: [after, limit], rowMode: "array" })).rows;

parentPort!.on("message", (task: RangeTask) => {
  void (async () => {
    try {
      await connected;
      parentPort!.postMessage({ ok: true, result: await verifyTask(read, task) });
    } catch (err) {
      parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
