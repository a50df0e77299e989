import { afterEach, describe, expect, it, vi } from "vitest";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: FormData;
  withCredentials: boolean;
}

/** A scripted XMLHttpRequest: each send reports progress, then answers with the next reply. */
function fakeXhr(replies: { status: number; body: unknown }[]) {
  const sent: Sent[] = [];
  class FakeXhr {
    status = 0;
    statusText = "";
    responseText = "";
    withCredentials = false;
    upload: {
      onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null;
    } = {
      onprogress: null,
    };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onabort: (() => void) | null = null;
    private url = "";
    private headers: Record<string, string> = {};
    open(_method: string, url: string) {
      this.url = url;
    }
    setRequestHeader(k: string, v: string) {
      this.headers[k.toLowerCase()] = v;
    }
    abort() {
      this.onabort?.();
    }
    send(body: FormData) {
      sent.push({ url: this.url, headers: this.headers, body, withCredentials: this.withCredentials });
      const reply = replies.shift()!;
      queueMicrotask(() => {
        this.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 });
        this.upload.onprogress?.({ lengthComputable: true, loaded: 10, total: 10 });
        this.status = reply.status;
        this.responseText = JSON.stringify(reply.body);
        this.onload?.();
      });
    }
  }
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
  return sent;
}

async function modules() {
  vi.resetModules();
  let n = 0;
  vi.stubGlobal("fetch", async () => json({ csrfToken: `tok-${++n}` }));
  return import("./upload.ts");
}

afterEach(() => vi.unstubAllGlobals());

const file = () => new File(["hello"], "notes.txt", { type: "text/plain" });

describe("multipart upload with progress", () => {
  it("sends the file and the JSON data with the CSRF header and reports progress", async () => {
    const sent = fakeXhr([{ status: 201, body: { id: "doc-1" } }]);
    const { uploadFile } = await modules();
    const progress: number[] = [];
    const doc = await uploadFile<{ id: string }>(
      "/datasets/x/documents/upload",
      file(),
      { processRule: { mode: "automatic" } },
      (p) => progress.push(p.loaded / p.total),
    );
    expect(doc).toEqual({ id: "doc-1" });
    expect(progress).toEqual([0.5, 1]);
    expect(sent[0]!.url).toBe("/console/api/datasets/x/documents/upload");
    expect(sent[0]!.headers["x-csrf-token"]).toBe("tok-1");
    expect(sent[0]!.withCredentials).toBe(true);
    expect(JSON.parse(String(sent[0]!.body.get("data")))).toEqual({ processRule: { mode: "automatic" } });
    expect((sent[0]!.body.get("file") as File).name).toBe("notes.txt");
  });

  it("a refusal becomes an ApiError with the server's code and message", async () => {
    fakeXhr([
      { status: 415, body: { code: "unsupported_file_type", message: "executable files are not accepted" } },
    ]);
    const { uploadFile } = await modules();
    await expect(uploadFile("/u", file(), {}, () => {})).rejects.toMatchObject({
      status: 415,
      code: "unsupported_file_type",
      message: "executable files are not accepted",
    });
  });

  it("a rotated CSRF token is refreshed once and the upload retried", async () => {
    const sent = fakeXhr([
      { status: 403, body: { code: "csrf_failed", message: "csrf" } },
      { status: 201, body: { id: "doc-2" } },
    ]);
    const { uploadFile } = await modules();
    await expect(uploadFile("/u", file(), {}, () => {})).resolves.toEqual({ id: "doc-2" });
    expect(sent.map((s) => s.headers["x-csrf-token"])).toEqual(["tok-1", "tok-2"]);
  });

  it("an unparseable error page still yields a clear error, not a crash", async () => {
    fakeXhr([{ status: 502, body: undefined }]);
    const { uploadFile } = await modules();
    await expect(uploadFile("/u", file(), {}, () => {})).rejects.toMatchObject({
      status: 502,
      code: "internal_error",
    });
  });
});
