import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import { inflateRawSync } from "node:zlib";
import { indexDocument } from "@enclave/core";
import { auditEvents, documents, segments } from "@enclave/db";
import { auditRows } from "../helpers.ts";
import {
  createKnowledgeApp,
  PARAGRAPHS,
  setupKnowledgeWorld,
  type KnowledgeApp,
  type KnowledgeWorld,
  openDatasetApi,
  type DatasetCall,
} from "./knowledge-world.ts";

// Dify's document endpoints beyond create/list/get/delete, over real HTTP with a dataset key. The
// queue is not started: each test runs the indexing job itself, so "before" and "after" are exact.
/** Entries of a ZIP without extras or ZIP64 (what Enclave writes): name and inflated text. */
function unzip(zip: Buffer): { name: string; text: string }[] {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const out: { name: string; text: string }[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.push({
      name: zip.subarray(at + 46, at + 46 + nameLen).toString("utf8"),
      text: inflateRawSync(zip.subarray(start, start + size)).toString("utf8"),
    });
    at += 46 + nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

describe("knowledge service API: batch status, update by text/file, status actions, download", () => {
  let t: KnowledgeApp;
  let w: KnowledgeWorld;
  let intruderKey: string;

  let call: DatasetCall;

  const index = (documentId: string) =>
    indexDocument(t.workerCtx(), { workspaceId: w.workspaceId, documentId });

  const newDataset = async (name: string) => {
    const ds = await call("POST", "/datasets", { name });
    expect(ds.status).toBe(200);
    return ds.data.id as string;
  };

  const textDoc = async (datasetId: string, name: string, text: string) => {
    const res = await call("POST", `/datasets/${datasetId}/document/create-by-text`, {
      name,
      text,
      process_rule: PARAGRAPHS,
    });
    expect(res.status).toBe(200);
    const id = (res.data.document as { id: string }).id;
    await index(id);
    return { id, batch: res.data.batch as string };
  };

  const fileForm = (name: string, content: string, data?: unknown) => {
    const form = new FormData();
    if (data !== undefined) form.append("data", JSON.stringify(data));
    form.append("file", new Blob([content]), name);
    return form;
  };

  const found = async (datasetId: string, query: string) => {
    const res = await call("POST", `/datasets/${datasetId}/retrieve`, {
      query,
      retrieval_model: { search_method: "full_text_search", top_k: 10, score_threshold_enabled: false },
    });
    expect(res.status).toBe(200);
    return (res.data.records as { segment: { content: string; document_id: string } }[]).map(
      (r) => r.segment.content,
    );
  };

  const audits = async (action: string) =>
    (await auditRows(t.database.db, eq(auditEvents.action, action))).length;

  beforeAll(async () => {
    t = await createKnowledgeApp(undefined, { startQueue: false });
    w = await setupKnowledgeWorld(t);
    ({ intruderKey, call } = await openDatasetApi(t, w));
  });
  afterAll(() => t.close());

  it("indexing status by batch: the batch of create-by-text, 404 for another dataset's or a made-up batch", async () => {
    const ds = await newDataset("Batches");
    const other = await newDataset("Batches other");
    const created = await call("POST", `/datasets/${ds}/document/create-by-text`, {
      name: "B1",
      text: "Batch status text.",
    });
    const batch = created.data.batch as string;
    const waiting = await call("GET", `/datasets/${ds}/documents/${batch}/indexing-status`);
    expect(waiting.status).toBe(200);
    expect(waiting.data.data).toEqual([
      expect.objectContaining({
        id: (created.data.document as { id: string }).id,
        indexing_status: "waiting",
      }),
    ]);
    await index(batch);
    const done = await call("GET", `/datasets/${ds}/documents/${batch}/indexing-status`);
    expect((done.data.data as { indexing_status: string; completed_segments: number }[])[0]).toMatchObject({
      indexing_status: "completed",
      completed_segments: 1,
      total_segments: 1,
    });
    expect((await call("GET", `/datasets/${other}/documents/${batch}/indexing-status`)).status).toBe(404);
    const madeUp = await call("GET", `/datasets/${ds}/documents/20261201123456789012/indexing-status`);
    expect(madeUp.status).toBe(404);
    expect(madeUp.data).toMatchObject({ code: "not_found" });
    const foreign = await call(
      "GET",
      `/datasets/${ds}/documents/${batch}/indexing-status`,
      undefined,
      intruderKey,
    );
    expect(foreign.status).toBe(404);
  });

  it("update-by-text re-indexes: old chunks answer until the swap, then only the new ones; resubmitting changes nothing", async () => {
    const ds = await newDataset("Update text");
    const doc = await textDoc(
      ds,
      "Harbour",
      "The lighthouse keeper logs every ship.\n\nFog horns sound at dusk.",
    );
    expect(await found(ds, "lighthouse")).toHaveLength(1);

    const updated = await call("POST", `/datasets/${ds}/documents/${doc.id}/update-by-text`, {
      name: "Harbour v2",
      text: "Windmills grind the grain.\n\nMillers weigh the flour.\n\nCanals carry the sacks.",
      process_rule: PARAGRAPHS,
    });
    expect(updated.status).toBe(200);
    expect(updated.data.batch).toBe(doc.id);
    expect(updated.data.document).toMatchObject({ id: doc.id, indexing_status: "waiting" });
    // Before the worker has run: the old content still answers, the new one not yet.
    expect(await found(ds, "lighthouse")).toHaveLength(1);
    expect(await found(ds, "windmills")).toHaveLength(0);
    const pending = await call("GET", `/datasets/${ds}/documents/${doc.id}/indexing-status`);
    expect((pending.data.data as { indexing_status: string }[])[0]!.indexing_status).toBe("waiting");

    await index(doc.id);
    expect(await found(ds, "lighthouse")).toHaveLength(0);
    expect(await found(ds, "windmills")).toEqual(["Windmills grind the grain."]);
    const after = await call("GET", `/datasets/${ds}/documents/${doc.id}`);
    expect(after.data).toMatchObject({
      name: "Harbour v2",
      indexing_status: "completed",
      word_count: expect.any(Number),
    });
    const segs = await t.database.db.select().from(segments).where(eq(segments.documentId, doc.id));
    expect(segs.map((s) => s.content).sort()).toEqual(
      ["Canals carry the sacks.", "Millers weigh the flour.", "Windmills grind the grain."].sort(),
    );
    expect(await audits("dataset.document.update_content")).toBeGreaterThanOrEqual(1);

    // Same text and name again: nothing to do, nothing queued, the chunks are the same rows.
    const auditBefore = await audits("dataset.document.update_content");
    const again = await call("POST", `/datasets/${ds}/documents/${doc.id}/update-by-text`, {
      name: "Harbour v2",
      text: "Windmills grind the grain.\n\nMillers weigh the flour.\n\nCanals carry the sacks.",
      process_rule: PARAGRAPHS,
    });
    expect(again.status).toBe(200);
    expect(again.data.document).toMatchObject({ indexing_status: "completed" });
    expect(await audits("dataset.document.update_content")).toBe(auditBefore);
    const segsAgain = await t.database.db.select().from(segments).where(eq(segments.documentId, doc.id));
    expect(segsAgain.map((s) => s.id).sort()).toEqual(segs.map((s) => s.id).sort());

    // Running the job twice is harmless: the pending update is gone, nothing changes.
    await index(doc.id);
    expect(await found(ds, "windmills")).toHaveLength(1);
  });

  it("retrieval during the swap sees the old chunk set or the new one, never a mix or nothing", async () => {
    const ds = await newDataset("Swap window");
    const oldText = Array.from({ length: 30 }, (_, i) => `Kestrel paragraph ${i} about falcons.`).join(
      "\n\n",
    );
    const doc = await textDoc(ds, "Birds", oldText);
    const newText = Array.from({ length: 40 }, (_, i) => `Kestrel section ${i} about hovering.`).join("\n\n");
    const up = await call("POST", `/datasets/${ds}/documents/${doc.id}/update-by-text`, {
      name: "Birds",
      text: newText,
      process_rule: PARAGRAPHS,
    });
    expect(up.status).toBe(200);
    const seen: string[] = [];
    let done = false;
    const job = index(doc.id).finally(() => {
      done = true;
    });
    const poll = (async () => {
      while (!done) {
        const res = await call("POST", `/datasets/${ds}/retrieve`, {
          query: "kestrel",
          retrieval_model: { search_method: "full_text_search", top_k: 100, score_threshold_enabled: false },
        });
        const contents = (res.data.records as { segment: { content: string } }[]).map(
          (r) => r.segment.content,
        );
        const olds = contents.filter((c) => c.includes("falcons")).length;
        const news = contents.filter((c) => c.includes("hovering")).length;
        seen.push(`${olds}/${news}`);
      }
    })();
    await job;
    await poll;
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(["30/0", "0/40"]).toContain(s);
    expect(await found(ds, "hovering")).toHaveLength(10);
  });

  it("update-by-file replaces the original (download returns the new bytes) and re-indexes", async () => {
    const ds = await newDataset("Update file");
    const created = await call(
      "POST",
      `/datasets/${ds}/document/create-by-file`,
      fileForm("notes.md", "Original otters."),
    );
    const id = (created.data.document as { id: string }).id;
    await index(id);
    const oldKey = (await t.database.db.select().from(documents).where(eq(documents.id, id)))[0]!.fileKey;
    const res = await call(
      "POST",
      `/datasets/${ds}/documents/${id}/update-by-file`,
      fileForm("../../etc/beavers.md", "Busy beavers build dams.", { process_rule: { mode: "automatic" } }),
    );
    expect(res.status).toBe(200);
    expect((await call("GET", `/datasets/${ds}/documents/${id}/download`)).bytes.toString()).toBe(
      "Original otters.",
    );
    await index(id);
    expect(await found(ds, "beavers")).toHaveLength(1);
    expect(await found(ds, "otters")).toHaveLength(0);
    const dl = await call("GET", `/datasets/${ds}/documents/${id}/download`);
    expect(dl.bytes.toString()).toBe("Busy beavers build dams.");
    expect(dl.headers.get("content-disposition")).toContain('filename="beavers.md"');
    // The replaced original is gone from the file store.
    await expect(t.files.get(oldKey)).rejects.toMatchObject({ code: "not_found" });

    // PATCH /documents/{id}: Dify's current name for the same update.
    const patched = await call(
      "PATCH",
      `/datasets/${ds}/documents/${id}`,
      fileForm("otters.md", "Otters are back."),
    );
    expect(patched.status).toBe(200);
    expect(patched.data.batch).toBe(id);
    await index(id);
    expect(await found(ds, "otters")).toHaveLength(1);
    expect(await found(ds, "beavers")).toHaveLength(0);
  });

  it("update bodies are strict and ids are scoped: 400/404 and nothing written", async () => {
    const ds = await newDataset("Update strict");
    const other = await newDataset("Update strict other");
    const doc = await textDoc(ds, "Strict", "Stay as you are.");
    const otherDoc = await textDoc(other, "Other", "Other dataset text.");
    const path = `/datasets/${ds}/documents/${doc.id}/update-by-text`;
    const cases: [unknown, number][] = [
      [{ name: "x", text: "y", workspace_id: w.intruderWorkspaceId }, 400],
      [{ text: "no name given" }, 400],
      [{ name: "x", text: "" }, 400],
      [{ name: "x", doc_form: "qa_model" }, 400],
      [
        {
          name: "x",
          text: "y",
          process_rule: { mode: "custom", rules: { segmentation: { max_tokens: -5 } } },
        },
        400,
      ],
    ];
    for (const [body, status] of cases) {
      const res = await call("POST", path, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.data).toMatchObject({ code: "invalid_param" });
    }
    // Another dataset's document through this dataset, and this dataset from workspace B.
    expect(
      (
        await call("POST", `/datasets/${ds}/documents/${otherDoc.id}/update-by-text`, {
          name: "x",
          text: "y",
        })
      ).status,
    ).toBe(404);
    expect((await call("POST", path, { name: "x", text: "y" }, intruderKey)).status).toBe(404);
    expect(
      (
        await call(
          "POST",
          `/datasets/${ds}/documents/${otherDoc.id}/update-by-file`,
          fileForm("a.txt", "zzz"),
        )
      ).status,
    ).toBe(404);
    const rows = await t.database.db
      .select()
      .from(documents)
      .where(inArray(documents.id, [doc.id, otherDoc.id]));
    for (const r of rows) {
      expect(r.pendingUpdate).toBeNull();
      expect(r.status).toBe("completed");
    }
    expect(rows.find((r) => r.id === doc.id)!.name).toBe("Strict");
  });

  it("a document still being indexed cannot be updated (400 document_indexing)", async () => {
    const ds = await newDataset("Busy");
    const res = await call("POST", `/datasets/${ds}/document/create-by-text`, {
      name: "Busy",
      text: "Not yet.",
    });
    const id = (res.data.document as { id: string }).id;
    const up = await call("POST", `/datasets/${ds}/documents/${id}/update-by-text`, {
      name: "Busy",
      text: "New.",
    });
    expect(up.status).toBe(400);
    expect(up.data).toMatchObject({ code: "document_indexing" });
  });

  it("status actions: disable/enable/archive/un_archive a list, all or nothing, audited", async () => {
    const ds = await newDataset("Status");
    const other = await newDataset("Status other");
    const a = await textDoc(ds, "A", "Albatross glides far.");
    const b = await textDoc(ds, "B", "Albatross nests on cliffs.");
    const foreign = await textDoc(other, "F", "Foreign albatross.");

    const off = await call("PATCH", `/datasets/${ds}/documents/status/disable`, {
      document_ids: [a.id, b.id],
    });
    expect(off.status).toBe(200);
    expect(off.data).toEqual({ result: "success" });
    expect(await found(ds, "albatross")).toHaveLength(0);
    expect((await call("GET", `/datasets/${ds}/documents/${a.id}`)).data).toMatchObject({ enabled: false });
    expect(await audits("dataset.document.disable")).toBe(1);

    // One id of another dataset: 404 and neither document changes.
    const mixed = await call("PATCH", `/datasets/${ds}/documents/status/enable`, {
      document_ids: [a.id, foreign.id],
    });
    expect(mixed.status).toBe(404);
    expect(await found(ds, "albatross")).toHaveLength(0);
    expect(
      (await call("PATCH", `/datasets/${ds}/documents/status/enable`, { document_ids: [a.id] }, intruderKey))
        .status,
    ).toBe(404);

    expect(
      (await call("PATCH", `/datasets/${ds}/documents/status/enable`, { document_ids: [a.id, b.id] })).status,
    ).toBe(200);
    expect(await found(ds, "albatross")).toHaveLength(2);
    expect(
      (await call("PATCH", `/datasets/${ds}/documents/status/archive`, { document_ids: [b.id] })).status,
    ).toBe(200);
    expect(await found(ds, "albatross")).toHaveLength(1);
    expect((await call("GET", `/datasets/${ds}/documents/${b.id}`)).data).toMatchObject({ archived: true });
    expect(
      (await call("PATCH", `/datasets/${ds}/documents/status/un_archive`, { document_ids: [b.id] })).status,
    ).toBe(200);
    expect(await found(ds, "albatross")).toHaveLength(2);

    const badAction = await call("PATCH", `/datasets/${ds}/documents/status/delete`, {
      document_ids: [a.id],
    });
    expect(badAction.status).toBe(400);
    expect(badAction.data).toMatchObject({ code: "invalid_action" });
    for (const body of [
      { document_ids: [] },
      { document_ids: ["nope"] },
      { document_ids: [a.id], enabled: false },
    ]) {
      const res = await call("PATCH", `/datasets/${ds}/documents/status/disable`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await found(ds, "albatross")).toHaveLength(2);
    // Still indexing: cannot be disabled.
    const busy = await call("POST", `/datasets/${ds}/document/create-by-text`, {
      name: "C",
      text: "Albatross later.",
    });
    const busyId = (busy.data.document as { id: string }).id;
    const refused = await call("PATCH", `/datasets/${ds}/documents/status/disable`, {
      document_ids: [busyId],
    });
    expect(refused.status).toBe(400);
    expect(refused.data).toMatchObject({ code: "invalid_action" });
  });

  it("download: the original with a safe attachment name; text documents, other datasets and workspace B get 404", async () => {
    const ds = await newDataset("Download");
    const other = await newDataset("Download other");
    const hostileName = '../../etc/pa"ss\r\nX-Evil: 1;wd‮txt.md';
    const created = await call(
      "POST",
      `/datasets/${ds}/document/create-by-file`,
      fileForm(hostileName, "Secret minutes."),
    );
    expect(created.status).toBe(200);
    const id = (created.data.document as { id: string }).id;
    const dl = await call("GET", `/datasets/${ds}/documents/${id}/download`);
    expect(dl.status).toBe(200);
    expect(dl.bytes.toString()).toBe("Secret minutes.");
    const disposition = dl.headers.get("content-disposition")!;
    expect(disposition).toMatch(
      /^attachment; filename="[^"\\/\r\n]+"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/,
    );
    expect(dl.headers.get("x-evil")).toBeNull();
    expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
    expect(JSON.stringify(Object.fromEntries(dl.headers))).not.toMatch(/\d{4}\/\d{2}\/[0-9a-f-]{36}/);

    const html = await call(
      "POST",
      `/datasets/${ds}/document/create-by-file`,
      fileForm("x.html", "<p>hi</p><script>alert(1)</script>"),
    );
    const htmlDl = await call(
      "GET",
      `/datasets/${ds}/documents/${(html.data.document as { id: string }).id}/download`,
    );
    expect(htmlDl.headers.get("content-type")).toBe("application/octet-stream");

    const text = await textDoc(ds, "Pasted", "Pasted text.");
    expect((await call("GET", `/datasets/${ds}/documents/${text.id}/download`)).status).toBe(404);
    expect((await call("GET", `/datasets/${other}/documents/${id}/download`)).status).toBe(404);
    expect(
      (await call("GET", `/datasets/${ds}/documents/${id}/download`, undefined, intruderKey)).status,
    ).toBe(404);
  });

  it("download-zip: the originals of uploaded files in one archive; text documents, foreign ids and workspace B refused", async () => {
    const ds = await newDataset("Zip");
    const other = await newDataset("Zip other");
    const up = async (datasetId: string, name: string, body: string) =>
      (
        (await call("POST", `/datasets/${datasetId}/document/create-by-file`, fileForm(name, body))).data
          .document as {
          id: string;
        }
      ).id;
    const a = await up(ds, "report.md", "Alpha report.");
    const b = await up(ds, "../x/report.md", "Beta report.");
    const zip = await call("POST", `/datasets/${ds}/documents/download-zip`, { document_ids: [a, b] });
    expect(zip.status).toBe(200);
    expect(zip.headers.get("content-type")).toBe("application/zip");
    expect(unzip(zip.bytes)).toEqual([
      { name: "report.md", text: "Alpha report." },
      { name: "report (2).md", text: "Beta report." },
    ]);

    const text = await textDoc(ds, "Pasted", "Pasted.");
    const foreign = await up(other, "f.md", "Foreign.");
    for (const ids of [[a, text.id], [a, foreign], ["00000000-0000-7000-8000-000000000000"]]) {
      const res = await call("POST", `/datasets/${ds}/documents/download-zip`, { document_ids: ids });
      expect(res.status, JSON.stringify(ids)).toBe(404);
    }
    expect(
      (await call("POST", `/datasets/${ds}/documents/download-zip`, { document_ids: [a] }, intruderKey))
        .status,
    ).toBe(404);
    for (const body of [{ document_ids: [] }, { document_ids: [a], all: true }, {}]) {
      expect((await call("POST", `/datasets/${ds}/documents/download-zip`, body)).status).toBe(400);
    }
    expect(
      (
        await call("POST", `/datasets/${ds}/documents/download-zip`, {
          document_ids: Array.from({ length: 101 }, () => a),
        })
      ).status,
    ).toBe(400);
  });
});
