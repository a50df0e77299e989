import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AppError } from "../errors/app-error.ts";

/** Where uploaded originals live. Keys are always server-generated; a caller's file name never is one. */
export interface FileStore {
  /** Stores the bytes under a new key. */
  put(bytes: Uint8Array): Promise<StoredFile>;
  /** The bytes stored under `key`; `not_found` when there are none. */
  get(key: string): Promise<Buffer>;
  /** Removes `key` (no error when it is already gone). */
  delete(key: string): Promise<void>;
}

export interface StoredFile {
  key: string;
  size: number;
  sha256: string;
}

// `yyyy/mm/<uuid>`: the only shape a key can have, checked again on every read so a key that came
// back from the database altered can never name a path outside the store.
const KEY = /^\d{4}\/\d{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isFileKey(key: string): boolean {
  return KEY.test(key);
}

/** Files on the local disk under `root` (embedded mode: `<data dir>/files`), written atomically. */
export class LocalFileStore implements FileStore {
  private readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  async put(bytes: Uint8Array): Promise<StoredFile> {
    const now = new Date();
    const month = String(now.getUTCMonth() + 1).padStart(2, "0");
    const key = `${now.getUTCFullYear()}/${month}/${randomUUID()}`;
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o600, flag: "wx" });
    await rename(tmp, path);
    return { key, size: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new AppError("not_found", "file not found");
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  private path(key: string): string {
    if (!isFileKey(key)) throw new AppError("not_found", "file not found");
    return join(this.root, ...key.split("/"));
  }
}
