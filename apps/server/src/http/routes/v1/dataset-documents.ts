import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  DifyBatchParams,
  DifyDatasetParams,
  DifyDocumentIds,
  DifyDocumentParams,
  DifyStatusParams,
  DifyUpdateByFileData,
  DifyUpdateByText,
} from "@enclave/contracts";
import {
  AppError,
  getDocument,
  readDocumentOriginal,
  setDocumentsStatus,
  updateDocumentContent,
  zipDocumentOriginals,
} from "@enclave/core";
import { attachmentDisposition } from "../../content-disposition.ts";
import { readUpload } from "../console/dataset-upload.ts";
import { toDifyDocument, toDifyIndexingStatus } from "./dify-knowledge-shapes.ts";

const READ = { config: { permission: "dataset.read" as const, auth: "datasetKey" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const, auth: "datasetKey" as const } };
const DS = "/v1/datasets/:dataset_id";
const DOC = `${DS}/documents/:document_id`;

/**
 * Document routes beyond create/list/get/delete: indexing status by batch, update by text or file
 * (re-index), batch status actions, download of the original. Registered inside knowledgeApiRoutes.
 */
export function registerDatasetDocumentRoutes(app: FastifyInstance): void {
  // Dify's `{batch}`: Enclave hands out one batch per created or updated document, its id.
  app.get(`${DS}/documents/:batch/indexing-status`, READ, async (request) => {
    const { dataset_id, batch } = DifyBatchParams.parse(request.params);
    if (!z.uuid().safeParse(batch).success) throw new AppError("not_found", "documents not found");
    return { data: [toDifyIndexingStatus(await getDocument(request.ctx, dataset_id, batch))] };
  });

  app.post(`${DOC}/update-by-text`, MANAGE, async (request) => {
    const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
    const b = DifyUpdateByText.parse(request.body);
    const doc = await updateDocumentContent(request.ctx, dataset_id, document_id, {
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.text !== undefined
        ? {
            content: {
              bytes: new TextEncoder().encode(b.text),
              fileName: b.name ?? "document",
              fromText: true,
            },
          }
        : {}),
      ...(b.doc_form ? { docForm: b.doc_form } : {}),
      ...(b.process_rule ? { processRule: b.process_rule } : {}),
    });
    return { document: toDifyDocument(doc), batch: doc.id };
  });

  const updateByFile = async (request: FastifyRequest) => {
    const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
    const upload = await readUpload(request);
    const b = DifyUpdateByFileData.parse(upload.data);
    const doc = await updateDocumentContent(request.ctx, dataset_id, document_id, {
      ...(b.name !== undefined ? { name: b.name } : {}),
      content: { bytes: upload.bytes, fileName: upload.fileName, fromText: false },
      ...(b.doc_form ? { docForm: b.doc_form } : {}),
      ...(b.process_rule ? { processRule: b.process_rule } : {}),
    });
    return { document: toDifyDocument(doc), batch: doc.id };
  };
  app.post(`${DOC}/update-by-file`, MANAGE, updateByFile);
  // Dify's current name for the same operation (update-by-file is deprecated there).
  app.patch(DOC, MANAGE, updateByFile);

  app.patch(`${DS}/documents/status/:action`, MANAGE, async (request) => {
    const { dataset_id, action } = DifyStatusParams.parse(request.params);
    const { document_ids } = DifyDocumentIds.parse(request.body);
    await setDocumentsStatus(request.ctx, dataset_id, action, document_ids);
    return { result: "success" };
  });

  app.post(`${DS}/documents/download-zip`, READ, async (request, reply) => {
    const { dataset_id } = DifyDatasetParams.parse(request.params);
    const { document_ids } = DifyDocumentIds.parse(request.body);
    const zip = await zipDocumentOriginals(request.ctx, dataset_id, document_ids);
    return reply
      .header("content-type", "application/zip")
      .header("content-disposition", attachmentDisposition("documents.zip"))
      .header("cache-control", "private, no-store")
      .send(zip);
  });

  // Dify answers with a signed storage URL; Enclave streams the original itself (see the docs).
  app.get(`${DOC}/download`, READ, async (request, reply) => {
    const { dataset_id, document_id } = DifyDocumentParams.parse(request.params);
    const file = await readDocumentOriginal(request.ctx, dataset_id, document_id);
    return (
      reply
        // An HTML original is handed over as bytes: never rendered in the API's origin.
        .header("content-type", file.mime.startsWith("text/html") ? "application/octet-stream" : file.mime)
        .header("content-disposition", attachmentDisposition(file.fileName))
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "private, no-store")
        .send(file.bytes)
    );
  });
}
