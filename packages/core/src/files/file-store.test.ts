import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isFileKey, LocalFileStore } from "./file-store.ts";

describe("LocalFileStore", () => {
  const root = mkdtempSync(join(tmpdir(), "enclave-files-"));
  const store = new LocalFileStore(root);

  it("stores bytes under a server-generated key, 0600, and reads them back", async () => {
    const stored = await store.put(Buffer.from("hello"));
    expect(isFileKey(stored.key)).toBe(true);
    expect(stored.size).toBe(5);
    expect(stored.sha256).toBe("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    expect((await store.get(stored.key)).toString()).toBe("hello");
    expect(statSync(join(root, ...stored.key.split("/"))).mode & 0o777).toBe(0o600);
    await store.delete(stored.key);
    await expect(store.get(stored.key)).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses any key it did not make (path traversal)", async () => {
    for (const key of ["../../etc/passwd", "/etc/passwd", "2026/01/../../x", "2026/01/abc", ""]) {
      await expect(store.get(key)).rejects.toMatchObject({ code: "not_found" });
      await expect(store.delete(key)).rejects.toMatchObject({ code: "not_found" });
    }
  });
});
