import type { FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import {
  CreateApiKeyInput,
  CreateDatasetInput,
  CreateFileDocumentInput,
  CreateSegmentInput,
  CreateTextDocumentInput,
  DatasetKeyParams,
  DatasetParams,
  DocumentParams,
  HitTestingInput,
  ListQuery,
  SegmentParams,
  SetDatasetMembersInput,
  UpdateDatasetInput,
  UpdateDocumentInput,
  UpdateSegmentInput,
} from "@enclave/contracts";
import {
  createDataset,
  createDatasetApiKey,
  createFileDocument,
  createSegment,
  createTextDocument,
  deleteDataset,
  deleteDocument,
  deleteSegment,
  getDataset,
  getDocument,
  getSegment,
  hitTestDataset,
  listDatasetApiKeys,
  listDatasets,
  listDocuments,
  listSegments,
  revokeDatasetApiKey,
  setDatasetMembers,
  setDocumentIndexing,
  updateDataset,
  updateDocument,
  updateSegment,
} from "@enclave/core";
import { registerConsoleMetadataRoutes } from "./dataset-metadata.ts";
import { readUpload } from "./dataset-upload.ts";

const READ = { config: { permission: "dataset.read" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const } };
const BASE = "/console/api/datasets";
const DOC = `${BASE}/:id/documents/:documentId`;

/** Knowledge bases in the console: datasets, members, metadata, documents, chunks, hit testing, API keys. */
export function datasetRoutes() {
  return async (app: FastifyInstance) => {
    // Multipart only in this scope: no other route accepts uploads by accident.
    await app.register(multipart);

    app.get(BASE, READ, async (request) => listDatasets(request.ctx, ListQuery.parse(request.query)));
    app.post(BASE, MANAGE, async (request, reply) =>
      reply.status(201).send(await createDataset(request.ctx, CreateDatasetInput.parse(request.body))),
    );

    app.get(`${BASE}/api-keys`, MANAGE, async (request) => ({ data: await listDatasetApiKeys(request.ctx) }));
    app.post(`${BASE}/api-keys`, MANAGE, async (request, reply) => {
      const key = await createDatasetApiKey(request.ctx, CreateApiKeyInput.parse(request.body ?? {}));
      return reply.status(201).header("cache-control", "no-store").send(key);
    });
    app.delete(`${BASE}/api-keys/:keyId`, MANAGE, async (request, reply) => {
      await revokeDatasetApiKey(request.ctx, DatasetKeyParams.parse(request.params).keyId);
      return reply.status(204).send();
    });

    app.get(`${BASE}/:id`, READ, async (request) =>
      getDataset(request.ctx, DatasetParams.parse(request.params).id),
    );
    app.patch(`${BASE}/:id`, MANAGE, async (request) =>
      updateDataset(
        request.ctx,
        DatasetParams.parse(request.params).id,
        UpdateDatasetInput.parse(request.body),
      ),
    );
    app.delete(`${BASE}/:id`, MANAGE, async (request, reply) => {
      await deleteDataset(request.ctx, DatasetParams.parse(request.params).id);
      return reply.status(204).send();
    });
    app.put(`${BASE}/:id/members`, MANAGE, async (request) => {
      const { memberIds } = SetDatasetMembersInput.parse(request.body);
      return setDatasetMembers(request.ctx, DatasetParams.parse(request.params).id, memberIds);
    });
    app.post(`${BASE}/:id/hit-testing`, READ, async (request) =>
      hitTestDataset(
        request.ctx,
        DatasetParams.parse(request.params).id,
        HitTestingInput.parse(request.body),
      ),
    );

    registerConsoleMetadataRoutes(app);

    app.get(`${BASE}/:id/documents`, READ, async (request) =>
      listDocuments(request.ctx, DatasetParams.parse(request.params).id, ListQuery.parse(request.query)),
    );
    app.post(`${BASE}/:id/documents/text`, MANAGE, async (request, reply) => {
      const { id } = DatasetParams.parse(request.params);
      return reply
        .status(201)
        .send(await createTextDocument(request.ctx, id, CreateTextDocumentInput.parse(request.body)));
    });
    app.post(`${BASE}/:id/documents/upload`, MANAGE, async (request, reply) => {
      const { id } = DatasetParams.parse(request.params);
      const upload = await readUpload(request);
      const input = CreateFileDocumentInput.parse(upload.data);
      return reply.status(201).send(await createFileDocument(request.ctx, id, upload, input));
    });
    app.get(DOC, READ, async (request) => {
      const { id, documentId } = DocumentParams.parse(request.params);
      return getDocument(request.ctx, id, documentId);
    });
    app.get(`${DOC}/indexing-status`, READ, async (request) => {
      const { id, documentId } = DocumentParams.parse(request.params);
      const doc = await getDocument(request.ctx, id, documentId);
      return { id: doc.id, status: doc.status, error: doc.error, progress: doc.progress };
    });
    app.patch(DOC, MANAGE, async (request) => {
      const { id, documentId } = DocumentParams.parse(request.params);
      return updateDocument(request.ctx, id, documentId, UpdateDocumentInput.parse(request.body));
    });
    app.delete(DOC, MANAGE, async (request, reply) => {
      const { id, documentId } = DocumentParams.parse(request.params);
      await deleteDocument(request.ctx, id, documentId);
      return reply.status(204).send();
    });
    for (const action of ["pause", "resume"] as const) {
      app.post(`${DOC}/${action}`, MANAGE, async (request) => {
        const { id, documentId } = DocumentParams.parse(request.params);
        return setDocumentIndexing(request.ctx, id, documentId, action);
      });
    }

    app.get(`${DOC}/segments`, READ, async (request) => {
      const { id, documentId } = DocumentParams.parse(request.params);
      return listSegments(request.ctx, id, documentId, ListQuery.parse(request.query));
    });
    app.post(`${DOC}/segments`, MANAGE, async (request, reply) => {
      const { id, documentId } = DocumentParams.parse(request.params);
      const segment = await createSegment(
        request.ctx,
        id,
        documentId,
        CreateSegmentInput.parse(request.body),
      );
      return reply.status(201).send(segment);
    });
    app.get(`${DOC}/segments/:segmentId`, READ, async (request) => {
      const { id, documentId, segmentId } = SegmentParams.parse(request.params);
      return getSegment(request.ctx, id, documentId, segmentId);
    });
    app.patch(`${DOC}/segments/:segmentId`, MANAGE, async (request) => {
      const { id, documentId, segmentId } = SegmentParams.parse(request.params);
      return updateSegment(request.ctx, id, documentId, segmentId, UpdateSegmentInput.parse(request.body));
    });
    for (const [action, enabled] of [
      ["enable", true],
      ["disable", false],
    ] as const) {
      app.post(`${DOC}/segments/:segmentId/${action}`, MANAGE, async (request) => {
        const { id, documentId, segmentId } = SegmentParams.parse(request.params);
        return updateSegment(request.ctx, id, documentId, segmentId, { enabled });
      });
    }
    app.delete(`${DOC}/segments/:segmentId`, MANAGE, async (request, reply) => {
      const { id, documentId, segmentId } = SegmentParams.parse(request.params);
      await deleteSegment(request.ctx, id, documentId, segmentId);
      return reply.status(204).send();
    });
  };
}
