import { createHash } from "node:crypto";

/** SHA-256 hex of a chunk's text (the same as ingest's chunk hash). */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
