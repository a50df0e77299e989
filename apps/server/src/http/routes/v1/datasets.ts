import type { FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import {
  DifyCreateByFileData,
  DifyCreateByText,
  DifyCreateDataset,
  DifyCreateSegments,
  DifyDatasetParams,
  DifyDocumentParams,
  DifyListQuery,
  DifyRetrieve,
  DifySegmentParams,
  DifyUpdateDataset,
  DifyUpdateSegment,
} from "@enclave/contracts";
import {
  createDataset,
  createFileDocument,
  createSegments,
  createTextDocument,
  deleteDataset,
  deleteDocument,
  deleteSegment,
  getDataset,
  getDocument,
  getSegment,
  hitTestDataset,
  listDatasets,
  listDocuments,
  listSegments,
  metadataFieldsByName,
  tagsOfDatasets,
  updateDataset,
  updateSegment,
} from "@enclave/core";
import { readUpload } from "../console/dataset-upload.ts";
import { registerDatasetDocumentRoutes } from "./dataset-documents.ts";
import { registerDatasetMetadataRoutes } from "./dataset-metadata.ts";
import { registerDatasetTagRoutes } from "./dataset-tags.ts";
import { registerDatasetChildChunkRoutes } from "./dataset-child-chunks.ts";
import {
  fromDifyRetrieval,
  toDifyDataset,
  toDifyDocument,
  toDifyRecord,
  toDifySegment,
} from "./dify-knowledge-shapes.ts";

const READ = { config: { permission: "dataset.read" as const, auth: "datasetKey" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const, auth: "datasetKey" as const } };
const DS = "/v1/datasets/:dataset_id";
const DOC = `${DS}/documents/:document_id`;

const modelOf = (b: { embedding_model?: string | null; embedding_model_provider?: string | null }) =>
  b.embedding_model && b.embedding_model_provider
    ? { providerId: b.embedding_model_provider, name: b.embedding_model }
    : undefined;

const page = <T, U>(
  p: { data: T[]; page: number; limit: number; total: number; hasMore: boolean },
  f: (t: T) => U,
) => ({
  data: p.data.map(f),
  has_more: p.hasMore,
  limit: p.limit,
  total: p.total,
  page: p.page,
});

/** Dify's knowledge service API under /v1/datasets, authenticated by `dataset-` keys. */
export function knowledgeApiRoutes() {
  return async (app: FastifyInstance) => {
    await app.register(multipart);

    app.post("/v1/datasets", MANAGE, async (request) => {
      const b = DifyCreateDataset.parse(request.body);
      const model = modelOf(b);
      const retrieval = await fromDifyRetrieval(request.ctx, b.retrieval_model);
      const view = await createDataset(request.ctx, {
        name: b.name,
        description: b.description,
        permission: b.permission,
        indexingTechnique: b.indexing_technique ?? "economy",
        embeddingModel: model ?? null,
        ...(retrieval ? { retrieval } : {}),
      });
      return toDifyDataset(view);
    });
    app.get("/v1/datasets", READ, async (request) => {
      const { tag_ids, ...q } = DifyListQuery.parse(request.query);
      const list = await listDatasets(request.ctx, q, { ...(tag_ids ? { tagIds: tag_ids } : {}) });
      const tags = await tagsOfDatasets(
        request.ctx,
        list.data.map((d) => d.id),
      );
      return page(list, (d) => toDifyDataset(d, tags.get(d.id)));
    });
    app.get(DS, READ, async (request) => {
      const view = await getDataset(request.ctx, DifyDatasetParams.parse(request.params).dataset_id);
      return toDifyDataset(view, (await tagsOfDatasets(request.ctx, [view.id])).get(view.id));
    });
    app.patch(DS, MANAGE, async (request) => {
      const { dataset_id } = DifyDatasetParams.parse(request.params);
      const b = DifyUpdateDataset.parse(request.body);
      const model = modelOf(b);
      const retrieval = await fromDifyRetrieval(request.ctx, b.retrieval_model);
      const view = await updateDataset(request.ctx, dataset_id, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.permission ? { permission: b.permission } : {}),
        ...(b.indexing_technique ? { indexingTechnique: b.indexing_technique } : {}),
        ...(model ? { embeddingModel: model } : {}),
        ...(retrieval ? { retrieval } : {}),
        ...(b.partial_member_list ? { memberIds: b.partial_member_list.map((m) => m.user_id) } : {}),
      });
      return toDifyDataset(view);
    });
    app.delete(DS, MANAGE, async (request, reply) => {
      await deleteDataset(request.ctx, DifyDatasetParams.parse(request.params).dataset_id);
      return reply.status(204).send();
    });

    app.post(`${DS}/document/create-by-text`, MANAGE, async (request) => {
      const { dataset_id } = DifyDatasetParams.parse(request.params);
      const b = DifyCreateByText.parse(request.body);
      const doc = await createTextDocument(request.ctx, dataset_id, {
        name: b.name,
        text: b.text,
        docForm: b.doc_form,
        ...(b.process_rule ? { processRule: b.process_rule } : {}),
        metadata: {},
      });
      return { document: toDifyDocument(doc), batch: doc.id };
    });
    app.post(`${DS}/document/create-by-file`, MANAGE, async (request) => {
      const { dataset_id } = DifyDatasetParams.parse(request.params);
      const upload = await readUpload(request);
      const b = DifyCreateByFileData.parse(upload.data);
      const doc = await createFileDocument(request.ctx, dataset_id, upload, {
        docForm: b.doc_form,
        ...(b.process_rule ? { processRule: b.process_rule } : {}),
        metadata: {},
      });
      return { document: toDifyDocument(doc), batch: doc.id };
    });
    app.get(`${DS}/documents`, READ, async (request) => {
      const { dataset_id } = DifyDatasetParams.parse(request.params);
      const list = await listDocuments(request.ctx, dataset_id, DifyListQuery.parse(request.query));
      const fields = await metadataFieldsByName(request.ctx, dataset_id);
      return page(list, (d) => toDifyDocument(d, fields));
    });
    app.get(DOC, READ, async (request) => {
      const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
      const doc = await getDocument(request.ctx, dataset_id, document_id);
      return toDifyDocument(doc, await metadataFieldsByName(request.ctx, dataset_id));
    });
    app.delete(DOC, MANAGE, async (request, reply) => {
      const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
      await deleteDocument(request.ctx, dataset_id, document_id);
      return reply.status(204).send();
    });
    registerDatasetDocumentRoutes(app);
    registerDatasetMetadataRoutes(app);
    registerDatasetTagRoutes(app);
    registerDatasetChildChunkRoutes(app);

    app.get(`${DOC}/segments`, READ, async (request) => {
      const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
      const doc = await getDocument(request.ctx, dataset_id, document_id);
      const q = DifyListQuery.parse(request.query);
      return {
        ...page(await listSegments(request.ctx, dataset_id, document_id, q), toDifySegment),
        doc_form: doc.docForm,
      };
    });
    app.post(`${DOC}/segments`, MANAGE, async (request) => {
      const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
      const b = DifyCreateSegments.parse(request.body);
      const rows = await createSegments(
        request.ctx,
        dataset_id,
        document_id,
        b.segments.map((s) => ({ content: s.content, enabled: true })),
      );
      return { data: rows.map(toDifySegment), doc_form: "text_model" };
    });
    app.get(`${DOC}/segments/:segment_id`, READ, async (request) => {
      const { dataset_id, document_id, segment_id } = DifySegmentParams.parse(request.params);
      return {
        data: toDifySegment(await getSegment(request.ctx, dataset_id, document_id, segment_id)),
        doc_form: "text_model",
      };
    });
    app.post(`${DOC}/segments/:segment_id`, MANAGE, async (request) => {
      const { dataset_id, document_id, segment_id } = DifySegmentParams.parse(request.params);
      const { segment } = DifyUpdateSegment.parse(request.body);
      const row = await updateSegment(request.ctx, dataset_id, document_id, segment_id, {
        ...(segment.content !== undefined ? { content: segment.content } : {}),
        ...(segment.enabled !== undefined ? { enabled: segment.enabled } : {}),
      });
      return { data: toDifySegment(row), doc_form: "text_model" };
    });
    app.delete(`${DOC}/segments/:segment_id`, MANAGE, async (request, reply) => {
      const { dataset_id, document_id, segment_id } = DifySegmentParams.parse(request.params);
      await deleteSegment(request.ctx, dataset_id, document_id, segment_id);
      return reply.status(204).send();
    });

    app.post(`${DS}/retrieve`, READ, async (request) => {
      const { dataset_id } = DifyDatasetParams.parse(request.params);
      const b = DifyRetrieve.parse(request.body);
      const retrieval = await fromDifyRetrieval(request.ctx, b.retrieval_model);
      const result = await hitTestDataset(request.ctx, dataset_id, {
        query: b.query,
        ...(retrieval ? { retrieval } : {}),
      });
      return { query: { content: result.query }, records: result.records.map(toDifyRecord) };
    });
  };
}
