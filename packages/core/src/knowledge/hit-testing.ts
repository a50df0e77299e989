import { and, eq, inArray } from "drizzle-orm";
import {
  type AppDatasetsConfig,
  HitTestingInput,
  RetrievalSettings,
  type RetrievedChunk,
} from "@enclave/contracts";
import { datasets } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { loadDataset, workspaceDatasets, type DatasetRow } from "./dataset-access.ts";
import { recordHits, searchDataset } from "./retrieval.ts";

/** The retrieval debugger: a query against one dataset with the given (or its default) settings. */
export async function hitTestDataset(
  ctx: Ctx,
  datasetId: string,
  raw: HitTestingInput,
): Promise<{ query: string; records: RetrievedChunk[] }> {
  const input = HitTestingInput.parse(raw);
  const dataset = await loadDataset(ctx.db, ctx, datasetId);
  const settings = input.retrieval ?? defaultsOf(dataset);
  const records = await searchDataset(ctx, dataset, input.query, settings);
  return { query: input.query, records };
}

function defaultsOf(dataset: DatasetRow): RetrievalSettings {
  const parsed = RetrievalSettings.safeParse(dataset.retrievalModel ?? {});
  return parsed.success ? parsed.data : RetrievalSettings.parse({});
}

/** Dify's retriever_resources item, as chat answers carry it. */
export interface RetrieverResource {
  position: number;
  dataset_id: string;
  dataset_name: string;
  document_id: string;
  document_name: string;
  segment_id: string;
  segment_position: number;
  score: number;
  content: string;
  /** What a prompt should quote: the parent chunk in parent-child mode. */
  context: string;
}

/**
 * Throws unless the actor may read every one of the datasets (404 for any it may not see:
 * another workspace's, or an only_me dataset of someone else). Apps call it before attaching.
 */
export async function assertCanAttachDatasets(ctx: Ctx, datasetIds: string[]): Promise<void> {
  const wanted = [...new Set(datasetIds)];
  if (wanted.length === 0) return;
  requirePermission(ctx, "dataset.read");
  const rows = await ctx.db
    .select({ id: datasets.id })
    .from(datasets)
    .where(and(inArray(datasets.id, wanted), workspaceDatasets(ctx)));
  if (rows.length !== wanted.length) throw new AppError("not_found", "dataset not found");
}

/**
 * Retrieval for a running app: searches the attached datasets of ctx.workspace only (an id of
 * another workspace, or a deleted dataset, is skipped), merges by score, and returns citations.
 * The app was authorised when the datasets were attached, so no per-user visibility applies here.
 */
export async function retrieveForApp(
  ctx: Ctx,
  datasetIds: string[],
  rawSettings: AppDatasetsConfig["retrieval"],
  query: string,
): Promise<RetrieverResource[]> {
  const workspaceId = ctx.workspace?.id;
  const wanted = [...new Set(datasetIds)];
  if (!workspaceId || wanted.length === 0 || query.trim() === "") return [];
  const settings = RetrievalSettings.parse(rawSettings ?? {});
  const rows = await ctx.db
    .select()
    .from(datasets)
    .where(and(inArray(datasets.id, wanted), eq(datasets.workspaceId, workspaceId)));
  const results = (await Promise.all(rows.map((d) => searchDataset(ctx, d, query, settings)))).flat();
  const top = results.sort((a, b) => b.score - a.score).slice(0, settings.topK);
  await recordHits(ctx.db, top);
  return top.map((c, i) => ({
    position: i + 1,
    dataset_id: c.datasetId,
    dataset_name: c.datasetName,
    document_id: c.documentId,
    document_name: c.documentName,
    segment_id: c.segmentId,
    segment_position: c.position,
    score: c.score,
    content: c.content,
    context: c.context,
  }));
}
