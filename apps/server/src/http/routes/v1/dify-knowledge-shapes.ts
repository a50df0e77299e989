// Enclave's knowledge views in Dify's service API shapes (snake_case, Unix-second timestamps).
import {
  RetrievalSettings,
  type DatasetView,
  type DifyRetrievalModel,
  type DocumentView,
  type RetrievedChunk,
  type SegmentView,
} from "@enclave/contracts";
import { AppError, findProviderId, type Ctx } from "@enclave/core";

const unix = (iso: string | null) => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/**
 * Dify's retrieval_model → ours. A rerank model is named by `reranking_provider_name` (the
 * workspace provider's name or id) and `reranking_model_name`; an unknown provider is a 400.
 */
export async function fromDifyRetrieval(
  ctx: Ctx,
  m: DifyRetrievalModel | undefined,
): Promise<RetrievalSettings | undefined> {
  if (!m) return undefined;
  let rerank: RetrievalSettings["rerank"] = null;
  if (m.reranking_enable === true && m.reranking_mode !== "weighted_score") {
    const providerName = m.reranking_model?.reranking_provider_name;
    const model = m.reranking_model?.reranking_model_name;
    if (typeof providerName !== "string" || typeof model !== "string" || !providerName || !model)
      throw new AppError(
        "bad_request",
        "reranking_model needs reranking_provider_name and reranking_model_name",
      );
    const providerId = await findProviderId(ctx, providerName);
    if (!providerId)
      throw new AppError(
        "provider_not_initialize",
        `no model provider named ${providerName} in this workspace`,
      );
    rerank = { providerId, model };
  }
  const conditions = m.metadata_filtering_conditions?.conditions ?? [];
  return RetrievalSettings.parse({
    ...(m.search_method ? { searchMethod: m.search_method } : {}),
    ...(m.top_k ? { topK: m.top_k } : {}),
    scoreThreshold: m.score_threshold_enabled ? (m.score_threshold ?? null) : null,
    hybridMethod: "weighted_score",
    rerank,
    ...(m.weights?.vector_setting?.vector_weight !== undefined
      ? { vectorWeight: m.weights.vector_setting.vector_weight }
      : {}),
    metadataFilter:
      conditions.length > 0
        ? {
            logicalOperator: m.metadata_filtering_conditions?.logical_operator ?? "and",
            conditions: conditions.map((c) => ({
              name: c.name,
              comparisonOperator: c.comparison_operator,
              value: c.value ?? null,
            })),
          }
        : null,
  });
}

export function toDifyRetrieval(r: RetrievalSettings) {
  return {
    search_method: r.searchMethod ?? "hybrid_search",
    reranking_enable: r.rerank !== null,
    reranking_mode: r.rerank ? "reranking_model" : "weighted_score",
    reranking_model: {
      reranking_provider_name: r.rerank?.providerId ?? "",
      reranking_model_name: r.rerank?.model ?? "",
    },
    weights: {
      weight_type: "customized",
      vector_setting: { vector_weight: r.vectorWeight },
      keyword_setting: { keyword_weight: Math.round((1 - r.vectorWeight) * 1000) / 1000 },
    },
    top_k: r.topK,
    score_threshold_enabled: r.scoreThreshold !== null,
    score_threshold: r.scoreThreshold,
  };
}

export function toDifyDataset(d: DatasetView, tags: { id: string; name: string }[] = []) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    provider: "vendor",
    permission: d.permission,
    data_source_type: "upload_file",
    indexing_technique: d.indexingTechnique,
    app_count: 0,
    document_count: d.documentCount,
    total_documents: d.documentCount,
    word_count: d.wordCount,
    created_by: d.createdBy,
    created_at: unix(d.createdAt),
    updated_at: unix(d.updatedAt),
    embedding_model: d.embeddingModel?.name ?? null,
    embedding_model_provider: d.embeddingModel?.providerId ?? null,
    embedding_available: d.indexingTechnique === "economy" || d.embeddingModel !== null,
    retrieval_model_dict: toDifyRetrieval(d.retrieval),
    partial_member_list: d.memberIds,
    tags: tags.map((t) => ({ ...t, type: "knowledge" })),
    doc_form: null,
    external_knowledge_info: null,
  };
}

/** `fields`: the dataset's metadata fields by name, so values carry their field's id and type. */
export function toDifyDocument(d: DocumentView, fields?: Map<string, { id: string; type: string }>) {
  return {
    id: d.id,
    position: d.position,
    data_source_type: d.dataSourceType,
    data_source_info: d.dataSourceType === "upload_file" ? { upload_file_id: d.id } : null,
    dataset_process_rule_id: null,
    name: d.name,
    created_from: "api",
    created_by: d.createdBy,
    created_at: unix(d.createdAt),
    tokens: d.tokens,
    indexing_status: d.status,
    error: d.error,
    enabled: d.enabled,
    disabled_at: null,
    disabled_by: null,
    archived: d.archived,
    display_status: d.enabled ? (d.status === "completed" ? "available" : d.status) : "disabled",
    word_count: d.wordCount,
    hit_count: 0,
    doc_form: d.docForm,
    doc_metadata: Object.entries(d.metadata).map(([name, value]) => ({
      id: fields?.get(name)?.id ?? null,
      name,
      value,
      type: fields?.get(name)?.type ?? (typeof value === "number" ? "number" : "string"),
    })),
  };
}

export function toDifyIndexingStatus(d: DocumentView) {
  return {
    id: d.id,
    indexing_status: d.status,
    processing_started_at: unix(d.processingStartedAt),
    parsing_completed_at: unix(d.parsingCompletedAt),
    cleaning_completed_at: unix(d.parsingCompletedAt),
    splitting_completed_at: unix(d.splittingCompletedAt),
    completed_at: unix(d.completedAt),
    paused_at: unix(d.pausedAt),
    error: d.error,
    stopped_at: null,
    completed_segments: d.progress.done,
    total_segments: d.progress.total,
  };
}

export function toDifySegment(s: SegmentView) {
  return {
    id: s.id,
    position: s.position,
    document_id: s.documentId,
    content: s.content,
    answer: null,
    word_count: s.wordCount,
    tokens: s.tokens,
    keywords: [],
    index_node_id: s.id,
    index_node_hash: null,
    hit_count: s.hitCount,
    enabled: s.enabled,
    disabled_at: null,
    disabled_by: null,
    status: "completed",
    created_by: null,
    created_at: unix(s.createdAt),
    updated_at: unix(s.updatedAt),
    indexing_at: unix(s.createdAt),
    completed_at: unix(s.updatedAt),
    error: null,
    stopped_at: null,
    child_chunks: [],
  };
}

export function toDifyRecord(c: RetrievedChunk) {
  return {
    segment: {
      id: c.segmentId,
      position: c.position,
      document_id: c.documentId,
      content: c.content,
      answer: null,
      tokens: c.tokens,
      keywords: [],
      index_node_id: c.segmentId,
      enabled: true,
      status: "completed",
      document: { id: c.documentId, data_source_type: "upload_file", name: c.documentName },
    },
    child_chunks: [],
    score: c.score,
    tsne_position: null,
    files: [],
  };
}
