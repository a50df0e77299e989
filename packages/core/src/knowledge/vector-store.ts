import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Database, type Transaction } from "@enclave/db";
import { AppError } from "../errors/app-error.ts";

type Db = Database | Transaction;

// Dimensions with an HNSW index (see migration 0009_knowledge.sql); others are searched exactly.
const INDEXED_DIMS = new Set([256, 384, 512, 768, 1024, 1536]);
const MAX_DIMS = 16_000;

const support = new WeakMap<object, Promise<boolean>>();

/** Whether this database has pgvector and the embeddings table (cached per database handle). */
export function hasVectorStore(db: Database): Promise<boolean> {
  let known = support.get(db);
  if (!known) {
    known = queryRows<{ ok: boolean }>(
      db,
      sql`select (to_regclass('public.segment_embeddings') is not null) as ok`,
    ).then((rows) => rows[0]?.ok === true);
    support.set(db, known);
  }
  return known;
}

export async function requireVectorStore(db: Database): Promise<void> {
  if (!(await hasVectorStore(db))) {
    throw new AppError(
      "vector_store_unavailable",
      "high_quality indexing needs pgvector, which this database does not have; use economy or the pgvector PostgreSQL image",
    );
  }
}

function vectorLiteral(v: number[]): string {
  if (v.length === 0 || v.length > MAX_DIMS || !v.every(Number.isFinite)) {
    throw new AppError("upstream_error", "the embedding model returned an unusable vector");
  }
  return `[${v.join(",")}]`;
}

export interface EmbeddingRow {
  segmentId: string;
  workspaceId: string;
  datasetId: string;
  model: string;
  vector: number[];
}

/** Stores embeddings; a segment already embedded keeps its row (re-runs are idempotent). */
export async function insertEmbeddings(db: Db, rows: EmbeddingRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.segmentId}::uuid, ${r.workspaceId}::uuid, ${r.datasetId}::uuid, ${r.model}, ${r.vector.length}, ${vectorLiteral(r.vector)}::vector)`,
    ),
    sql`, `,
  );
  await db.execute(
    sql`insert into segment_embeddings (segment_id, workspace_id, dataset_id, model, dims, embedding) values ${values} on conflict (segment_id) do nothing`,
  );
}

export async function deleteSegmentEmbedding(db: Db, segmentId: string): Promise<void> {
  await db.execute(sql`delete from segment_embeddings where segment_id = ${segmentId}::uuid`);
}

export async function deleteDatasetEmbeddings(db: Db, datasetId: string): Promise<void> {
  await db.execute(sql`delete from segment_embeddings where dataset_id = ${datasetId}::uuid`);
}

/** Segments of the document that still need an embedding, in order. */
export async function segmentsWithoutEmbedding(
  db: Db,
  documentId: string,
  limit: number,
): Promise<{ id: string; content: string }[]> {
  return queryRows<{ id: string; content: string }>(
    db,
    sql`select s.id, s.content from segments s
        where s.document_id = ${documentId}::uuid and s.role <> 'parent'
          and not exists (select 1 from segment_embeddings e where e.segment_id = s.id)
        order by s.position, s.child_position limit ${limit}`,
  );
}

export async function countEmbedded(db: Db, documentId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from segment_embeddings e join segments s on s.id = e.segment_id
        where s.document_id = ${documentId}::uuid`,
  );
  return row?.n ?? 0;
}

export interface NearestOptions {
  /** Sequential scan instead of the HNSW index (recall baseline; dimensions without an index). */
  exact?: boolean;
  /** HNSW candidate list size (hnsw.ef_search); defaults to {@link defaultEfSearch}. */
  efSearch?: number;
  /** Extra condition on the row (alias `e`); the iterative scan keeps going until `candidates` pass it. */
  where?: SQL;
}

/**
 * ef_search for a k-nearest query: four times the candidates, at least 160. On the 100k-chunk
 * benchmark (HNSW m = 24, ef_construction = 128; bench/results/retrieval.md) recall@10 against
 * exact search is 0.85 at 64, 0.94 at 128 and 0.97 at 200; cost grows about linearly with it.
 */
export function defaultEfSearch(candidates: number): number {
  return Math.min(1000, Math.max(160, candidates * 4));
}

/**
 * Nearest segments of one dataset by cosine similarity (1 - distance). Uses the HNSW index of the
 * vector's dimension when there is one, with iterative scans so rows the filters drop are replaced.
 */
export async function nearestSegments(
  db: Db,
  datasetId: string,
  vector: number[],
  candidates: number,
  opts: NearestOptions = {},
): Promise<{ segmentId: string; score: number }[]> {
  const dims = vector.length;
  const literal = vectorLiteral(vector);
  const castable = INDEXED_DIMS.has(dims) && !opts.exact;
  // The cast must match the index expression for the planner to use it.
  const distance = castable
    ? sql.raw(`e.embedding::vector(${dims}) <=> '${literal}'::vector(${dims})`)
    : sql`e.embedding <=> ${literal}::vector`;
  const extra = opts.where ? sql` and ${opts.where}` : sql``;
  const run = async (tx: Db) =>
    queryRows<{ segment_id: string; distance: number }>(
      tx,
      sql`select e.segment_id, ${distance} as distance from segment_embeddings e
          where e.dataset_id = ${datasetId}::uuid and e.dims = ${dims}${extra}
          order by distance limit ${candidates}`,
    );
  const ef = opts.efSearch ?? defaultEfSearch(candidates);
  const rows = castable ? await withSearchBreadth(db, ef, run) : await run(db);
  // relaxed_order may return a few rows slightly out of order: sort by the exact distance.
  return rows
    .map((r) => ({ segmentId: r.segment_id, score: Math.max(0, 1 - Number(r.distance)) }))
    .sort((a, b) => b.score - a.score);
}

// Settings are transaction-local (SET LOCAL). Iterative scans (pgvector ≥ 0.8) keep walking the
// graph when the dataset or visibility filter discards index hits, up to hnsw.max_scan_tuples.
async function withSearchBreadth<T>(db: Db, ef: number, fn: (tx: Db) => Promise<T>): Promise<T> {
  const safe = Math.min(1000, Math.max(1, Math.floor(ef)));
  const apply = async (tx: Db) => {
    await tx.execute(
      sql.raw(
        `select set_config('hnsw.ef_search', '${safe}', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`,
      ),
    );
    return fn(tx);
  };
  if ("rollback" in db) return apply(db);
  return (db as Database).transaction(apply);
}
