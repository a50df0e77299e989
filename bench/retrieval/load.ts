// Builds the benchmark database (PGlite in memory + pgvector) with COPY, or restores it from a
// tarball cached under bench/.cache/ (gitignored) by a previous run with the same parameters.
import { randomUUID } from "node:crypto";
import { openAsBlob } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { datasets, documents, migrateDatabase, openPglite, workspaces, type PgliteHandle } from "@enclave/db";
import { segmentForIndex } from "@enclave/core";
import { chunkWords, embed, joinWords, makeCorpus, plantedTerm, rng, vectorText } from "./corpus.ts";

export interface BenchQuery {
  text: string;
  vector: number[];
  target: string;
}

export interface BenchDb {
  handle: PgliteHandle;
  datasetId: string;
  queries: BenchQuery[];
  loadSeconds: number;
  hnswBuildSeconds: number;
  restored: boolean;
}

export interface BuildParams {
  chunks: number;
  queries: number;
  dims: number;
  m: number;
  efConstruction: number;
}

const PER_DOC = 1000;
const COPY_ROWS = 5000;
const SEED = 20261201;
const CACHE_VERSION = 2;

type Client = PgliteHandle["client"];

async function copy(client: Client, table: string, columns: string, lines: string[]): Promise<void> {
  await client.query(`copy ${table} (${columns}) from '/dev/blob'`, [], {
    blob: new Blob([lines.join("\n") + "\n"]),
  });
}

export async function openBenchDb(p: BuildParams): Promise<BenchDb> {
  const key = `retrieval-v${CACHE_VERSION}-${p.chunks}-${p.queries}-${p.dims}-m${p.m}-ef${p.efConstruction}`;
  const tar = `bench/.cache/${key}.tar`;
  const meta = `bench/.cache/${key}.json`;
  const cached = await readFile(meta, "utf8").then(
    (s) => JSON.parse(s) as Omit<BenchDb, "handle" | "restored">,
    () => null,
  );
  if (cached) {
    // A file-backed Blob: the 2 GB dump is not copied into memory twice.
    const handle = await openPglite({ loadDataDir: await openAsBlob(tar) });
    return { ...cached, handle, restored: true };
  }
  const built = await build(p);
  await mkdir("bench/.cache", { recursive: true });
  const dump = await built.handle.client.dumpDataDir("none");
  await writeFile(tar, Buffer.from(await dump.arrayBuffer()));
  const { datasetId, queries, loadSeconds, hnswBuildSeconds } = built;
  await writeFile(meta, JSON.stringify({ datasetId, queries, loadSeconds, hnswBuildSeconds }));
  return built;
}

async function build(p: BuildParams): Promise<BenchDb> {
  const handle = await openPglite();
  await migrateDatabase(handle);
  const { db, client } = handle;
  const corpus = makeCorpus(SEED);
  const random = rng(SEED + 1);
  const [ws] = await db.insert(workspaces).values({ name: "bench" }).returning();
  const [ds] = await db
    .insert(datasets)
    .values({
      workspaceId: ws!.id,
      name: "bench",
      indexingTechnique: "high_quality",
      embeddingModel: `hashed-${p.dims}`,
    })
    .returning();
  const wsId = ws!.id;
  const dsId = ds!.id;

  // Query i's relevant chunk is chunk targets[i]; it carries the planted term.
  const targetOf = new Map<number, number>();
  while (targetOf.size < p.queries) {
    const c = Math.floor(random() * p.chunks);
    if (!targetOf.has(c)) targetOf.set(c, targetOf.size);
  }
  const queries: BenchQuery[] = new Array(p.queries);

  await db.execute(sql.raw(`drop index if exists segment_embeddings_hnsw_${p.dims}`));
  const loadStart = performance.now();
  const docRows: (typeof documents.$inferInsert)[] = [];
  for (let d = 0; d * PER_DOC < p.chunks; d++) {
    const n = Math.min(PER_DOC, p.chunks - d * PER_DOC);
    docRows.push({
      workspaceId: wsId,
      datasetId: dsId,
      position: d + 1,
      name: `doc-${d}`,
      dataSourceType: "text",
      fileKey: `2026/12/00000000-0000-4000-8000-${String(d).padStart(12, "0")}`,
      fileName: `doc-${d}.txt`,
      fileSize: 1,
      fileMime: "text/plain",
      fileKind: "txt",
      fileSha256: "0".repeat(64),
      status: "completed",
      progressTotal: n,
      progressDone: n,
    });
  }
  const docIds = (await db.insert(documents).values(docRows).returning({ id: documents.id })).map(
    (r) => r.id,
  );

  for (let start = 0; start < p.chunks; start += COPY_ROWS) {
    const segLines: string[] = [];
    const embLines: string[] = [];
    for (let c = start; c < Math.min(p.chunks, start + COPY_ROWS); c++) {
      const { lang, words } = chunkWords(corpus, random, c);
      const q = targetOf.get(c);
      const id = randomUUID();
      if (q !== undefined) {
        // The query: the planted term plus four words of the target chunk, as a user would phrase it.
        const picked = [0, 1, 2, 3].map(() => words[Math.floor(random() * words.length)]!);
        words.splice(Math.floor(random() * words.length), 0, plantedTerm(q, lang));
        const text = joinWords([plantedTerm(q, lang), ...picked], lang, random);
        queries[q] = { text, vector: [...embed(text, p.dims)], target: id };
      }
      const content = joinWords(words, lang, random);
      const doc = docIds[Math.floor(c / PER_DOC)]!;
      segLines.push(
        [id, wsId, dsId, doc, (c % PER_DOC) + 1, content, segmentForIndex(content), String(c), 40].join("\t"),
      );
      embLines.push(
        [id, wsId, dsId, `hashed-${p.dims}`, p.dims, vectorText(embed(content, p.dims))].join("\t"),
      );
    }
    await copy(
      client,
      "segments",
      "id, workspace_id, dataset_id, document_id, position, content, segmented_text, content_hash, tokens",
      segLines,
    );
    await copy(
      client,
      "segment_embeddings",
      "segment_id, workspace_id, dataset_id, model, dims, embedding",
      embLines,
    );
  }
  const loadMs = performance.now() - loadStart;

  // Built once on the loaded table, with the graph in memory (maintenance_work_mem).
  const indexStart = performance.now();
  await client.exec(`set maintenance_work_mem = '1GB'`);
  await client.exec(
    `create index segment_embeddings_hnsw_${p.dims} on segment_embeddings using hnsw ((embedding::vector(${p.dims})) vector_cosine_ops) with (m = ${p.m}, ef_construction = ${p.efConstruction}) where dims = ${p.dims}`,
  );
  const indexMs = performance.now() - indexStart;
  await client.exec("vacuum analyze");
  return {
    handle,
    datasetId: dsId,
    queries,
    loadSeconds: Math.round(loadMs / 100) / 10,
    hnswBuildSeconds: Math.round(indexMs / 100) / 10,
    restored: false,
  };
}
