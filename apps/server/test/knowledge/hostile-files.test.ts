import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { isFileKey } from "@enclave/core";
import {
  makeDocx,
  makeExe,
  makeDeepPageTreePdf,
  makePdf,
  makeRatioBombDocx,
} from "@enclave/core/testing/knowledge-corpus";
import { auditEvents, documents } from "@enclave/db";
import { testDatabaseKinds } from "@enclave/db/testing";
import { auditRows } from "../helpers.ts";
import {
  createDataset,
  createKnowledgeApp,
  DATASETS,
  documentRow,
  multipartBody,
  settle,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
} from "./knowledge-world.ts";

/**
 * SECURITY.md row 9 for knowledge uploads: hostile files fail cleanly (at upload, or their own
 * document ends in `error` with a reason) while the good documents next to them index fine.
 */
describe.each(testDatabaseKinds())("hostile uploads on %s", (kind) => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let datasetId: string;

  beforeAll(async () => {
    t = await createKnowledgeApp(kind);
    w = await setupKnowledgeWorld(t);
    datasetId = await createDataset(w.editor.client, { name: "Uploads", permission: "all_team_members" });
  });
  afterAll(() => t.close());

  const upload = (name: string, bytes: Uint8Array, data?: unknown) => {
    const { payload, headers } = multipartBody(name, bytes, data);
    return w.editor.client.request("POST", `${DATASETS}/${datasetId}/documents/upload`, payload, { headers });
  };

  it("a mixed batch: good files complete, bombs and lies fail alone with a clear reason", async () => {
    const good = {
      md: await upload("guide.md", Buffer.from("# Guide\n\nThe 数据主权 policy applies to all offices.")),
      docx: await upload("memo.docx", makeDocx(["Quarterly memo about 会話ログ retention."])),
      pdf: await upload("slides.pdf", makePdf(["Revenue grew in the third quarter."])),
      html: await upload(
        "page.html",
        Buffer.from("<html><body><p>Safe paragraph.</p><script>alert('pwned')</script></body></html>"),
      ),
      traversal: await upload("../../etc/passwd", Buffer.from("root-looking text but only text")),
    };
    const bad = {
      bomb: await upload("bomb.docx", makeRatioBombDocx(64)),
      pages: await upload("huge.pdf", makeDeepPageTreePdf(5)),
    };
    for (const [name, res] of Object.entries({ ...good, ...bad })) expect(res.statusCode, name).toBe(201);
    const ids = Object.fromEntries(
      Object.entries({ ...good, ...bad }).map(([k, r]) => [k, (r.json() as { id: string }).id]),
    );
    await settle(t, Object.values(ids), 60_000);

    for (const name of Object.keys(good)) {
      expect((await documentRow(t, ids[name]!)).status, name).toBe("completed");
    }
    for (const name of Object.keys(bad)) {
      const row = await documentRow(t, ids[name]!);
      expect(row.status, name).toBe("error");
      expect(row.error, name).toMatch(/\w/);
      expect(row.error, name).not.toMatch(/stack|at \w+ \(|node:internal/);
    }

    const html = await w.editor.client.get(`${DATASETS}/${datasetId}/documents/${ids.html}/segments`);
    expect(html.body).toContain("Safe paragraph.");
    expect(html.body).not.toContain("alert");
    expect(html.body).not.toContain("<script");

    const trav = await documentRow(t, ids.traversal!);
    expect(trav.name).toBe("passwd");
    expect(trav.fileName).toBe("passwd");
    expect(isFileKey(trav.fileKey)).toBe(true);

    const hits = await w.member.client.post(`${DATASETS}/${datasetId}/hit-testing`, { query: "会話ログ" });
    expect((hits.json() as { records: { documentId: string }[] }).records[0]!.documentId).toBe(ids.docx);
  });

  it("refused at upload, nothing stored: an .exe renamed .pdf, an image, a mismatched extension", async () => {
    const before = await t.database.db.select().from(documents).where(eq(documents.datasetId, datasetId));
    for (const [name, bytes] of [
      ["invoice.pdf", makeExe()],
      ["setup.exe", makeExe()],
      ["photo.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])],
      ["report.pdf", makeDocx(["a docx in disguise"])],
    ] as const) {
      const res = await upload(name, bytes);
      expect(res.statusCode, name).toBe(415);
      expect(res.json(), name).toMatchObject({ code: "unsupported_file_type" });
    }
    const after = await t.database.db.select().from(documents).where(eq(documents.datasetId, datasetId));
    expect(after).toHaveLength(before.length);
  });

  it("too large → 413; no file → 400; a bad data field → 400; a bad process rule → 400", async () => {
    const big = await upload("big.txt", Buffer.alloc(15 * 1024 * 1024 + 10, 0x61));
    expect(big.statusCode).toBe(413);
    const none = await w.editor.client.request("POST", `${DATASETS}/${datasetId}/documents/upload`, {});
    expect(none.statusCode).toBe(415);
    const rule = await upload("a.txt", Buffer.from("x"), {
      processRule: { mode: "custom", rules: { evil: 1 } },
    });
    expect(rule.statusCode).toBe(400);
    const extra = await upload("a.txt", Buffer.from("x"), { datasetId: w.intruderWorkspaceId });
    expect(extra.statusCode).toBe(400);
  });

  it("every document write is audited without its content", async () => {
    const events = await auditRows(t.database.db, eq(auditEvents.action, "dataset.document.create"));
    expect(events.length).toBeGreaterThanOrEqual(7);
    const text = JSON.stringify(events);
    expect(text).not.toContain("数据主权");
    expect(text).not.toContain("Revenue grew");
  });
});
