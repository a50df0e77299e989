import { mkdir, open, readdir, rename, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { AuditSink, ShipItem } from "@enclave/core";
import { shipDocument } from "./format.ts";

const CURRENT = "audit-current.jsonl";

/**
 * JSON lines in a directory meant for a host volume (or a log shipper's input). Each batch is
 * appended and fsynced before the cursor moves; past `maxBytes` the file is renamed to
 * `audit-<first seq>-<time>.jsonl` and a new one started.
 */
export class FileSink implements AuditSink {
  readonly id: string;
  private readonly dir: string;
  private readonly maxBytes: number;
  private handle: FileHandle | undefined;

  constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.id = `file:${dir}`;
  }

  async send(items: ShipItem[]): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const path = join(this.dir, CURRENT);
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size >= this.maxBytes) await this.rotate(path);
    this.handle ??= await open(path, "a", 0o640);
    const text = items.map((item) => JSON.stringify(shipDocument(item))).join("\n") + "\n";
    await this.handle.appendFile(text, "utf8");
    await this.handle.sync();
  }

  private async rotate(path: string): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const existing = (await readdir(this.dir)).filter((f) => f.startsWith("audit-") && f !== CURRENT).length;
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    await rename(path, join(this.dir, `audit-${stamp}-${String(existing).padStart(6, "0")}.jsonl`));
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
