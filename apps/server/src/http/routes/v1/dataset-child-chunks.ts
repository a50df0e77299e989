import type { FastifyInstance } from "fastify";
import {
  DifyChildChunkBody,
  DifyChildChunkParams,
  DifyListQuery,
  DifySegmentParams,
} from "@enclave/contracts";
import {
  createChildChunk,
  deleteChildChunk,
  listChildChunks,
  updateChildChunk,
  type ChildChunkView,
} from "@enclave/core";

const READ = { config: { permission: "dataset.read" as const, auth: "datasetKey" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const, auth: "datasetKey" as const } };
const SEG = "/v1/datasets/:dataset_id/documents/:document_id/segments/:segment_id";

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
export const toDifyChildChunk = (c: ChildChunkView) => ({
  id: c.id,
  segment_id: c.segmentId,
  content: c.content,
  position: c.position,
  word_count: c.wordCount,
  type: c.type,
  created_at: unix(c.createdAt),
  updated_at: unix(c.updatedAt),
});

const idsOf = (p: { dataset_id: string; document_id: string; segment_id: string }) => ({
  datasetId: p.dataset_id,
  documentId: p.document_id,
  segmentId: p.segment_id,
});

/** Child chunks of a parent chunk (parent-child documents only). */
export function registerDatasetChildChunkRoutes(app: FastifyInstance): void {
  app.post(`${SEG}/child_chunks`, MANAGE, async (request) => {
    const ids = idsOf(DifySegmentParams.parse(request.params));
    const { content } = DifyChildChunkBody.parse(request.body);
    return { data: toDifyChildChunk(await createChildChunk(request.ctx, ids, content)) };
  });
  app.get(`${SEG}/child_chunks`, READ, async (request) => {
    const ids = idsOf(DifySegmentParams.parse(request.params));
    const { tag_ids: _ignored, ...q } = DifyListQuery.parse(request.query);
    const p = await listChildChunks(request.ctx, ids, q);
    return {
      data: p.data.map(toDifyChildChunk),
      total: p.total,
      total_pages: Math.ceil(p.total / p.limit),
      page: p.page,
      limit: p.limit,
    };
  });
  app.patch(`${SEG}/child_chunks/:child_chunk_id`, MANAGE, async (request) => {
    const p = DifyChildChunkParams.parse(request.params);
    const { content } = DifyChildChunkBody.parse(request.body);
    return {
      data: toDifyChildChunk(await updateChildChunk(request.ctx, idsOf(p), p.child_chunk_id, content)),
    };
  });
  app.delete(`${SEG}/child_chunks/:child_chunk_id`, MANAGE, async (request, reply) => {
    const p = DifyChildChunkParams.parse(request.params);
    await deleteChildChunk(request.ctx, idsOf(p), p.child_chunk_id);
    return reply.status(204).send();
  });
}
