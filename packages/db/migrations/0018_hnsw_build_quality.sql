-- HNSW indexes built denser (m = 24, ef_construction = 128; pgvector's defaults are 16 / 64): at
-- 100k chunks the default graph reached recall@10 0.90 even at ef_search 200, this one 0.97
-- (bench/results/retrieval.md). Existing indexes are rebuilt once here; on a large deployment this
-- migration takes as long as a fresh index build (docs/operations/database.md).
DO $$
DECLARE
  d integer;
BEGIN
  IF to_regclass('segment_embeddings') IS NOT NULL THEN
    FOREACH d IN ARRAY ARRAY[256, 384, 512, 768, 1024, 1536] LOOP
      EXECUTE format('DROP INDEX IF EXISTS %I', 'segment_embeddings_hnsw_' || d);
      EXECUTE format(
        'CREATE INDEX %I ON "segment_embeddings" USING hnsw ((embedding::vector(%s)) vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE dims = %s',
        'segment_embeddings_hnsw_' || d, d, d);
    END LOOP;
  END IF;
END $$;
