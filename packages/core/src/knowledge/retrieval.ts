import { and, eq, inArray, ne, sql, type SQL } from "drizzle-orm";
import { RetrievalSettings, type RetrievedChunk } from "@enclave/contracts";
import { documents, queryRows, segments, type Database } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import type { DatasetRow } from "./dataset-access.ts";
import { segmentQuery } from "./ingest-adapter.ts";
import { embedQuery } from "./indexing.ts";
import { metadataFilterSql } from "./metadata-filter.ts";
import { rerankDepth, rerankItems } from "./rerank.ts";
import { hasVectorStore, nearestSegments } from "./vector-store.ts";

type Scored = { segmentId: string; score: number };
export type ResolvedMethod = "semantic_search" | "full_text_search" | "hybrid_search";

const RRF_K = 60;

/** The method actually run: economy datasets (no vectors) always search full text. */
export function resolveMethod(dataset: DatasetRow, settings: RetrievalSettings): ResolvedMethod {
  if (dataset.indexingTechnique !== "high_quality") return "full_text_search";
  const stored = RetrievalSettings.safeParse(dataset.retrievalModel ?? {});
  const method =
    settings.searchMethod ?? (stored.success ? stored.data.searchMethod : undefined) ?? "hybrid_search";
  return method === "keyword_search" ? "full_text_search" : method;
}

/** Escapes one word as a tsquery lexeme ('…' with quotes and backslashes doubled). */
function lexeme(word: string): string {
  return `'${word.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** OR of the query's words, as tsquery text (null when the query has no words). */
export function tsQueryText(query: string): string | null {
  const words = queryWords(query);
  return words.length > 0 ? words.map(lexeme).join(" | ") : null;
}

function queryWords(query: string): string[] {
  return [...new Set(segmentQuery(query))].slice(0, 32);
}

function searchableWhere(datasetId: string, filter: SQL | null): SQL {
  return and(
    eq(segments.datasetId, datasetId),
    ne(segments.role, "parent"),
    eq(segments.enabled, true),
    eq(documents.enabled, true),
    eq(documents.archived, false),
    eq(documents.status, "completed"),
    ...(filter ? [filter] : []),
  )!;
}

// Document frequencies are counted up to this cap: enough to tell rare words from common ones
// without scanning every chunk that holds "the".
const DF_CAP = 250;
/** Most chunks the candidate words of a full-text query may hold together (before filters). */
const CANDIDATE_BUDGET = 500;

// Saturated counts (≥ DF_CAP) are cached per dataset and word for a minute: they cost a scan of
// DF_CAP rows, the common words of a language recur in nearly every query, and an idf weight
// that is a minute old ranks the same. Counts below the cap are cheap and never cached, so a
// newly indexed rare word is found at once.
const DF_TTL_MS = 60_000;
const DF_CACHE_MAX = 10_000;
const saturated = new Map<string, number>();

async function documentFrequency(db: Database, datasetId: string, word: string, tsq: SQL): Promise<number> {
  const key = `${datasetId}\u0000${word}`;
  const at = saturated.get(key);
  if (at !== undefined && Date.now() - at < DF_TTL_MS) return DF_CAP;
  const [df] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select 1 from ${segments} where ${segments.datasetId} = ${datasetId}::uuid and ${segments.searchVector} @@ ${tsq} limit ${DF_CAP}) x`,
  );
  const freq = df?.n ?? 0;
  saturated.delete(key);
  if (freq >= DF_CAP) {
    if (saturated.size >= DF_CACHE_MAX) saturated.delete(saturated.keys().next().value!);
    saturated.set(key, Date.now());
  }
  return freq;
}

/**
 * BM25-like full text: each query word weighs its inverse document frequency (so a rare word
 * outranks a common one), chunks are scored by the weights of the words they hold, normalised to
 * [0, 1], with ts_rank_cd (cover density, length-normalised) breaking ties. Candidates come from
 * the GIN index on the stored tsvector, through the rarest words when there are any.
 */
export async function fullTextSearch(
  db: Database,
  datasetId: string,
  query: string,
  limit: number,
  filter: SQL | null,
): Promise<Scored[]> {
  const words = queryWords(query);
  if (words.length === 0) return [];
  const vector = sql`${segments.searchVector}`;
  const [total] = await queryRows<{ n: number }>(
    db,
    sql`select coalesce(sum(${documents.progressTotal}), 0)::int as n from ${documents} where ${documents.datasetId} = ${datasetId}::uuid`,
  );
  let n = Math.max(1, total?.n ?? 1);
  const weighted = [];
  for (const word of words) {
    const tsq = sql`to_tsquery('simple', ${lexeme(word)})`;
    const freq = await documentFrequency(db, datasetId, word, tsq);
    if (freq === 0) continue;
    n = Math.max(n, freq);
    weighted.push({ word, tsq, freq, idf: Math.log(1 + (n - freq + 0.5) / (freq + 0.5)) });
  }
  if (weighted.length === 0) return [];
  const maxScore = weighted.reduce((s, w) => s + w.idf, 0);
  // The rare words (under 5% of chunks, counted below the cap) pick the candidates; common ones
  // then only re-rank, so a query never scores every chunk that holds a common word.
  const rare = weighted
    .filter((w) => w.freq < DF_CAP && w.idf >= Math.log(1 + 19))
    .sort((a, b) => a.freq - b.freq);
  // The rarest words, while their chunks fit a budget, so a query scores hundreds of rows, not all.
  const pick: typeof weighted = [];
  let budget = 0;
  for (const w of rare) {
    if (pick.length > 0 && budget + w.freq > Math.max(CANDIDATE_BUDGET, limit * 10)) break;
    pick.push(w);
    budget += w.freq;
  }
  if (pick.length === 0) pick.push(...weighted);
  const candidates = sql.join(
    pick.map((w) => sql`${vector} @@ ${w.tsq}`),
    sql` or `,
  );
  const score = sql.join(
    weighted.map((w) => sql`(case when ${vector} @@ ${w.tsq} then ${w.idf}::float8 else 0 end)`),
    sql` + `,
  );
  const all = sql`to_tsquery('simple', ${weighted.map((w) => lexeme(w.word)).join(" | ")})`;
  // Cover density (the costly part) is computed only for the best word sets, ties included.
  const rows = await queryRows<{ id: string; score: number; density: number }>(
    db,
    sql`select top.id, top.score, ts_rank_cd(top.sv, ${all}, 33) as density from (
          select ${segments.id} as id, ${vector} as sv, (${score}) as score
          from ${segments} join ${documents} on ${documents.id} = ${segments.documentId}
          where ${searchableWhere(datasetId, filter)} and (${candidates})
          order by score desc fetch first (${limit}) rows with ties
        ) top
        order by top.score desc, density desc, top.id limit ${limit}`,
  );
  // Density (< 1) separates equal word sets without ever lifting one past a better set.
  return rows.map((r) => ({
    segmentId: r.id,
    score: Math.min(1, (Number(r.score) + 0.05 * Number(r.density)) / (maxScore * 1.05)),
  }));
}

/**
 * Nearest chunks by cosine similarity among the searchable ones (same visibility and metadata
 * filters as full text, checked inside the index scan so filtered-out rows are replaced).
 */
export async function semanticSearch(
  db: Database,
  datasetId: string,
  vector: number[],
  limit: number,
  filter: SQL | null,
  opts: { exact?: boolean; efSearch?: number } = {},
): Promise<Scored[]> {
  if (!(await hasVectorStore(db))) return [];
  const searchable = sql`exists (select 1 from ${segments} join ${documents} on ${documents.id} = ${segments.documentId}
    where ${segments.id} = e.segment_id and ${searchableWhere(datasetId, filter)})`;
  const near = await nearestSegments(db, datasetId, vector, limit, { ...opts, where: searchable });
  // Cosine ≤ 0 means unrelated or opposite: not a semantic match, whatever its rank.
  return near.filter((n) => n.score > 0);
}

/** Weighted sum of both scores (a missing one counts 0), or reciprocal rank fusion scaled to [0, 1]. */
export function fuse(semantic: Scored[], fullText: Scored[], settings: RetrievalSettings): Scored[] {
  const out = new Map<string, number>();
  if (settings.hybridMethod === "rrf") {
    const add = (list: Scored[]) =>
      list.forEach((s, i) => out.set(s.segmentId, (out.get(s.segmentId) ?? 0) + 1 / (RRF_K + i + 1)));
    add(semantic);
    add(fullText);
    const best = 2 / (RRF_K + 1);
    for (const [k, v] of out) out.set(k, v / best);
  } else {
    // Cosine similarity is already in [0, 1]; text ranks are relative, so the best one counts 1.
    const w = settings.vectorWeight;
    const best = Math.max(0, ...fullText.map((s) => s.score));
    for (const s of semantic) out.set(s.segmentId, w * s.score);
    for (const s of fullText) {
      const normalised = best > 0 ? s.score / best : 0;
      out.set(s.segmentId, (out.get(s.segmentId) ?? 0) + (1 - w) * normalised);
    }
  }
  return [...out.entries()]
    .map(([segmentId, score]) => ({ segmentId, score }))
    .sort((a, b) => b.score - a.score || a.segmentId.localeCompare(b.segmentId));
}

/**
 * Runs one query against one dataset (the caller has checked the actor may read it) and returns
 * the best chunks, with parents as context in parent-child mode.
 */
export async function searchDataset(
  ctx: Ctx,
  dataset: DatasetRow,
  query: string,
  raw: RetrievalSettings,
): Promise<RetrievedChunk[]> {
  const settings = RetrievalSettings.parse(raw);
  const method = resolveMethod(dataset, settings);
  const filter = metadataFilterSql(settings.metadataFilter);
  const depth = Math.max(settings.topK * 4, 20);
  // The query is embedded before the snapshot opens, so no connection waits on the model.
  const vector = method === "full_text_search" ? null : await embedQuery(ctx, dataset, query);
  const threshold = settings.scoreThreshold;
  // Every statement of one search reads the same snapshot: a document update swapping its chunks
  // between scoring and hydration would otherwise leave the ids scored with no rows behind them.
  const found = await inSnapshot(ctx.db, async (db) => {
    let scored: Scored[];
    if (method === "full_text_search") {
      scored = await fullTextSearch(db, dataset.id, query, depth, filter);
    } else {
      const semantic = vector ? await semanticSearch(db, dataset.id, vector, depth, filter) : [];
      scored =
        method === "semantic_search"
          ? semantic
          : fuse(semantic, await fullTextSearch(db, dataset.id, query, depth, filter), settings);
    }
    if (settings.rerank) return hydrate(db, dataset, scored.slice(0, rerankDepth(settings.topK)));
    const kept = scored.filter((s) => threshold === null || s.score >= threshold).slice(0, settings.topK);
    return hydrate(db, dataset, kept);
  });
  if (!settings.rerank) return found;
  // The rerank model orders the first-stage candidates; its scores replace theirs.
  const reranked = await rerankItems(ctx, settings.rerank, query, found, (c) => c.content);
  return reranked
    .map(({ item, score }) => ({ ...item, score: Math.round(score * 1e6) / 1e6 }))
    .filter((c) => threshold === null || c.score >= threshold)
    .slice(0, settings.topK);
}

/** Runs `fn` in one read-only repeatable-read transaction (or the caller's open one). */
async function inSnapshot<T>(db: Database, fn: (db: Database) => Promise<T>): Promise<T> {
  if ("rollback" in db) return fn(db);
  return db.transaction((tx) => fn(tx as unknown as Database), {
    isolationLevel: "repeatable read",
    accessMode: "read only",
  });
}

async function hydrate(db: Database, dataset: DatasetRow, scored: Scored[]): Promise<RetrievedChunk[]> {
  if (scored.length === 0) return [];
  const rows = await queryRows<{
    id: string;
    document_id: string;
    document_name: string;
    position: number;
    content: string;
    tokens: number;
    parent_content: string | null;
  }>(
    db,
    sql`select s.id, s.document_id, d.name as document_name, s.position, s.content, s.tokens, p.content as parent_content
        from segments s join documents d on d.id = s.document_id left join segments p on p.id = s.parent_id
        where s.dataset_id = ${dataset.id}::uuid and s.id in (${sql.join(
          scored.map((s) => sql`${s.segmentId}::uuid`),
          sql`, `,
        )})`,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return scored.flatMap((s) => {
    const r = byId.get(s.segmentId);
    if (!r) return [];
    return [
      {
        segmentId: r.id,
        datasetId: dataset.id,
        datasetName: dataset.name,
        documentId: r.document_id,
        documentName: r.document_name,
        position: r.position,
        content: r.content,
        context: r.parent_content ?? r.content,
        score: Math.round(s.score * 1e6) / 1e6,
        tokens: r.tokens,
      },
    ];
  });
}

/** Counts a hit on each returned chunk (the console shows how often a chunk is used). */
export async function recordHits(db: Database, chunks: RetrievedChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  await db
    .update(segments)
    .set({ hitCount: sql`${segments.hitCount} + 1` })
    .where(
      inArray(
        segments.id,
        chunks.map((c) => c.segmentId),
      ),
    );
}
