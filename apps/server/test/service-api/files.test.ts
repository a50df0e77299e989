import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { DifyClient } from "dify-client";
import { endUsers, uploadFiles } from "@enclave/db";
import { ensureEndUser, LocalFileStore, loadUploadFiles } from "@enclave/core";
import { makeDocx, PNG_BYTES } from "@enclave/core/testing/file-fixtures";
import { createTestApp, type TestApp } from "../helpers.ts";
import { auditOf, bareCtx } from "../apps/apps-world.ts";
import {
  difyError,
  listen,
  publishedApp,
  setupEdgeWorld,
  type EdgeWorld,
  type PublishedApp,
} from "./edge-world.ts";

function form(parts: {
  file?: { bytes: Uint8Array; name: string; type?: string }[];
  user?: string;
}): FormData {
  const data = new FormData();
  for (const f of parts.file ?? []) {
    data.append(
      "file",
      new Blob([Buffer.from(f.bytes)], { type: f.type ?? "application/octet-stream" }),
      f.name,
    );
  }
  if (parts.user !== undefined) data.append("user", parts.user);
  return data;
}

function storedFiles(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

describe("POST /v1/files/upload", () => {
  let t: TestApp;
  let w: EdgeWorld;
  let appA: PublishedApp;
  let appB: PublishedApp;
  let base: string;
  const root = mkdtempSync(join(tmpdir(), "enclave-files-"));
  const store = new LocalFileStore(root);

  beforeAll(async () => {
    t = await createTestApp({ env: { UPLOAD_MAX_MB: "2" }, files: store });
    w = await setupEdgeWorld(t);
    appA = await publishedApp(w);
    appB = await publishedApp(w, { name: "Other" });
    base = await listen(t.app);
  });
  afterAll(() => t.close());

  const rows = () => t.database.db.select().from(uploadFiles);

  it("stores a sniffed image for the end user and answers in Dify's shape", async () => {
    const client = new DifyClient(appA.token, base);
    const res = await client.fileUpload(
      form({ file: [{ bytes: PNG_BYTES, name: "../../etc/passwd.png" }], user: "u1" }),
    );
    expect(res.status).toBe(201);
    const body = res.data as Record<string, unknown>;
    const [endUser] = await t.database.db.select().from(endUsers).where(eq(endUsers.appId, appA.id));
    expect(body).toMatchObject({
      name: "passwd.png",
      size: PNG_BYTES.length,
      extension: "png",
      mime_type: "image/png",
      created_by: endUser!.id,
    });
    expect(endUser!.externalId).toBe("u1");
    expect(Math.abs((body.created_at as number) - Date.now() / 1000)).toBeLessThan(60);

    const [row] = (await rows()).filter((r) => r.id === body.id);
    expect(row).toMatchObject({ appId: appA.id, workspaceId: w.workspaceId, endUserId: endUser!.id });
    // The key is the server's own; the caller's path never reaches the disk.
    expect(row!.storageKey).toMatch(/^\d{4}\/\d{2}\/[0-9a-f-]{36}$/);
    expect(Buffer.from(await store.get(row!.storageKey)).equals(Buffer.from(PNG_BYTES))).toBe(true);
    expect(storedFiles(root).every((p) => !p.includes("passwd"))).toBe(true);
    const [event] = (await auditOf(t.database.db, "file.upload")).filter((e) => e.targetId === body.id);
    expect(event?.details).toMatchObject({ appId: appA.id, mimeType: "image/png", size: PNG_BYTES.length });
  });

  it("takes documents, with the type from the bytes and the user field before or after the file", async () => {
    const client = new DifyClient(appA.token, base);
    const data = new FormData();
    data.append("user", "u2");
    data.append("file", new Blob([Buffer.from(makeDocx())], { type: "text/plain" }), "letter.docx");
    const docx = await client.fileUpload(data);
    expect(docx.data).toMatchObject({
      extension: "docx",
      mime_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    });
    const md = await client.fileUpload(
      form({ file: [{ bytes: Buffer.from("# Notes\n"), name: "n.md" }], user: "u2" }),
    );
    expect(md.data).toMatchObject({ extension: "md", mime_type: "text/markdown", name: "n.md" });
  });

  it("refuses a spoofed or executable file with 415 and stores nothing", async () => {
    const before = { rows: (await rows()).length, files: storedFiles(root).length };
    const client = new DifyClient(appA.token, base);
    const exe = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(200, 0x90)]);
    for (const f of [
      { bytes: exe, name: "invoice.pdf", type: "application/pdf" },
      { bytes: PNG_BYTES, name: "photo.exe" },
      { bytes: Buffer.from("<svg onload=alert(1)>"), name: "x.svg", type: "image/svg+xml" },
      { bytes: Buffer.from("plain text"), name: "invoice\u202efdp.exe" },
    ]) {
      const err = await difyError(client.fileUpload(form({ file: [f], user: "u1" })));
      expect(err.status).toBe(415);
      expect(err.body).toMatchObject({ code: "unsupported_file_type", status: 415 });
    }
    expect((await rows()).length).toBe(before.rows);
    expect(storedFiles(root).length).toBe(before.files);
  });

  it("takes a file up to UPLOAD_MAX_MB (beyond the JSON body limit)", async () => {
    const bytes = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const res = await new DifyClient(appA.token, base).fileUpload(
      form({ file: [{ bytes, name: "big.txt" }], user: "u1" }),
    );
    expect(res.data).toMatchObject({ size: bytes.length, mime_type: "text/plain" });
  });

  it("refuses a file over UPLOAD_MAX_MB with 413 file_too_large and stores nothing", async () => {
    const before = { rows: (await rows()).length, files: storedFiles(root).length };
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x61);
    const err = await difyError(
      new DifyClient(appA.token, base).fileUpload(
        form({ file: [{ bytes: big, name: "big.txt" }], user: "u1" }),
      ),
    );
    expect(err.status).toBe(413);
    expect(err.body).toMatchObject({ code: "file_too_large", status: 413 });
    expect((await rows()).length).toBe(before.rows);
    expect(storedFiles(root).length).toBe(before.files);
  });

  it("answers Dify's 400s for a missing file, two files and bad bodies — never a 5xx", async () => {
    const client = new DifyClient(appA.token, base);
    const none = await difyError(client.fileUpload(form({ user: "u1" })));
    expect(none.body).toEqual({ code: "no_file_uploaded", message: "Please upload your file.", status: 400 });
    const two = await difyError(
      client.fileUpload(
        form({
          file: [
            { bytes: PNG_BYTES, name: "a.png" },
            { bytes: PNG_BYTES, name: "b.png" },
          ],
          user: "u1",
        }),
      ),
    );
    expect(two.body).toMatchObject({ code: "too_many_files", status: 400 });
    const long = await difyError(
      client.fileUpload(form({ file: [{ bytes: PNG_BYTES, name: "a.png" }], user: "u".repeat(300) })),
    );
    expect(long.body).toMatchObject({ code: "invalid_param", status: 400 });

    const auth = { authorization: `Bearer ${appA.token}` };
    const json = await t.app.inject({
      method: "POST",
      url: "/v1/files/upload",
      headers: auth,
      payload: { file: "x" },
    });
    expect(json.json()).toMatchObject({ code: "no_file_uploaded", status: 400 });
    const truncated = await t.app.inject({
      method: "POST",
      url: "/v1/files/upload",
      headers: { ...auth, "content-type": "multipart/form-data; boundary=XYZ" },
      payload: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello',
    });
    expect(truncated.json()).toMatchObject({ code: "invalid_param", status: 400 });
    expect(truncated.statusCode).toBeLessThan(500);
    const noBoundary = await t.app.inject({
      method: "POST",
      url: "/v1/files/upload",
      headers: { ...auth, "content-type": "multipart/form-data" },
      payload: "garbage",
    });
    expect(noBoundary.json()).toMatchObject({ status: 400 });
    expect(noBoundary.statusCode).toBeLessThan(500);
  });

  it("needs a live key of a published app", async () => {
    const anonymous = await difyError(
      new DifyClient("app-not-a-real-key-000000000000000000000000000", base).fileUpload(
        form({ file: [{ bytes: PNG_BYTES, name: "a.png" }], user: "u1" }),
      ),
    );
    expect(anonymous.body).toMatchObject({ code: "unauthorized", status: 401 });
  });

  it("ensureEndUser: one row per app and user string, even when first requests race", async () => {
    const ctx = bareCtx(t.database.db, { workspace: { id: w.workspaceId } });
    const racing = await Promise.all(
      Array.from({ length: 8 }, () => ensureEndUser(ctx, appA.id, "racer", "api")),
    );
    expect(new Set(racing.map((u) => u.id)).size).toBe(1);
    const rows = await t.database.db.select().from(endUsers).where(eq(endUsers.externalId, "racer"));
    expect(rows).toHaveLength(1);
    for (const bad of ["", "a\u0000b", "line\nbreak", "x".repeat(256)]) {
      await expect(ensureEndUser(ctx, appA.id, bad, "api")).rejects.toMatchObject({
        code: "validation_failed",
      });
    }
  });

  it("files are one end user's of one app: other apps and other users cannot attach them", async () => {
    const client = new DifyClient(appA.token, base);
    const res = await client.fileUpload(
      form({ file: [{ bytes: PNG_BYTES, name: "mine.png" }], user: "owner-of-file" }),
    );
    const fileId = (res.data as { id: string }).id;
    const ctx = bareCtx(t.database.db, { workspace: { id: w.workspaceId } });
    const owner = await ensureEndUser(ctx, appA.id, "owner-of-file", "api");
    const sameNameInB = await ensureEndUser(ctx, appB.id, "owner-of-file", "api");
    const otherUser = await ensureEndUser(ctx, appA.id, "someone-else", "api");
    expect(sameNameInB.id).not.toBe(owner.id);

    const [mine] = await loadUploadFiles(ctx, { appId: appA.id, endUserId: owner.id }, [fileId]);
    expect(mine).toMatchObject({ id: fileId, name: "mine.png", mimeType: "image/png" });
    await expect(
      loadUploadFiles(ctx, { appId: appB.id, endUserId: sameNameInB.id }, [fileId]),
    ).rejects.toThrow(/not found/);
    await expect(loadUploadFiles(ctx, { appId: appA.id, endUserId: otherUser.id }, [fileId])).rejects.toThrow(
      /not found/,
    );
    const otherWorkspace = bareCtx(t.database.db, {
      workspace: { id: "00000000-0000-4000-8000-000000000000" },
    });
    await expect(
      loadUploadFiles(otherWorkspace, { appId: appA.id, endUserId: owner.id }, [fileId]),
    ).rejects.toThrow(/not found/);
    await expect(loadUploadFiles(ctx, { appId: appA.id, endUserId: owner.id }, ["../x"])).rejects.toThrow(
      /not found/,
    );
  });
});
