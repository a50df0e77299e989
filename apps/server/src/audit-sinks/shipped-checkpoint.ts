import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The newest checkpoint note the file sink shipped (the largest size across current and rotated
 * files), or null. `audit verify` compares the database against it when no file is given.
 */
export async function newestShippedCheckpoint(dir: string): Promise<string | null> {
  const files = await readdir(dir).catch(() => [] as string[]);
  let best: { size: number; note: string } | null = null;
  for (const file of files.filter((f) => f.startsWith("audit-") && f.endsWith(".jsonl"))) {
    const text = await readFile(join(dir, file), "utf8");
    for (const line of text.split("\n")) {
      if (!line.includes('"audit.checkpoint"')) continue;
      try {
        const doc = JSON.parse(line) as { enclave?: { checkpoint?: { size: number; note: string } } };
        const cp = doc.enclave?.checkpoint;
        if (cp && (!best || cp.size > best.size)) best = { size: cp.size, note: cp.note };
      } catch {
        // A torn last line (crash mid-write) is skipped, not fatal.
      }
    }
  }
  return best?.note ?? null;
}
