// CPU seconds used so far by one database's server backends, read from /proc (PostgreSQL runs on
// this machine in every benchmark here). With the machine's two cores shared by everything, CPU
// per operation says more about the code than wall-clock rates do.
import { readFileSync } from "node:fs";
import type pg from "pg";

export async function backendCpu(pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database()",
  );
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The backend ended between the two reads.
    }
  }
  return ticks;
}

/** Backend CPU seconds spent between two backendCpu readings (backends that left count up to their last reading). */
export function backendCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, t] of after) seconds += t - (before.get(pid) ?? 0);
  return seconds;
}
