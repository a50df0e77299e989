import type { FastifyInstance } from "fastify";
import {
  DifyBuiltInParams,
  DifyCreateMetadataField,
  DifyDatasetParams,
  DifyDocumentsMetadata,
  DifyMetadataParams,
  DifyRenameMetadataField,
} from "@enclave/contracts";
import {
  BUILTIN_METADATA_FIELDS,
  createMetadataField,
  deleteMetadataField,
  getDataset,
  listMetadataFields,
  renameMetadataField,
  setBuiltInMetadata,
  setDocumentsMetadata,
} from "@enclave/core";

const READ = { config: { permission: "dataset.read" as const, auth: "datasetKey" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const, auth: "datasetKey" as const } };
const DS = "/v1/datasets/:dataset_id";

/** Dify's metadata endpoints: custom fields of a dataset, the built-in switch, values per document. */
export function registerDatasetMetadataRoutes(app: FastifyInstance): void {
  app.post(`${DS}/metadata`, MANAGE, async (request, reply) => {
    const { dataset_id } = DifyDatasetParams.parse(request.params);
    const b = DifyCreateMetadataField.parse(request.body);
    return reply.status(201).send(await createMetadataField(request.ctx, dataset_id, b));
  });
  app.get(`${DS}/metadata`, READ, async (request) => {
    const { dataset_id } = DifyDatasetParams.parse(request.params);
    const list = await listMetadataFields(request.ctx, dataset_id);
    return { doc_metadata: list.fields, built_in_field_enabled: list.builtInEnabled };
  });
  app.get(`${DS}/metadata/built-in`, READ, async (request) => {
    // Visibility first: a hidden or foreign dataset is a 404 here too.
    await getDataset(request.ctx, DifyDatasetParams.parse(request.params).dataset_id);
    return { fields: BUILTIN_METADATA_FIELDS };
  });
  app.post(`${DS}/metadata/built-in/:action`, MANAGE, async (request) => {
    const { dataset_id, action } = DifyBuiltInParams.parse(request.params);
    await setBuiltInMetadata(request.ctx, dataset_id, action === "enable");
    return { result: "success" };
  });
  app.patch(`${DS}/metadata/:metadata_id`, MANAGE, async (request) => {
    const { dataset_id, metadata_id } = DifyMetadataParams.parse(request.params);
    const { name } = DifyRenameMetadataField.parse(request.body);
    return renameMetadataField(request.ctx, dataset_id, metadata_id, name);
  });
  app.delete(`${DS}/metadata/:metadata_id`, MANAGE, async (request, reply) => {
    const { dataset_id, metadata_id } = DifyMetadataParams.parse(request.params);
    await deleteMetadataField(request.ctx, dataset_id, metadata_id);
    return reply.status(204).send();
  });
  app.post(`${DS}/documents/metadata`, MANAGE, async (request) => {
    const { dataset_id } = DifyDatasetParams.parse(request.params);
    const { operation_data } = DifyDocumentsMetadata.parse(request.body);
    await setDocumentsMetadata(
      request.ctx,
      dataset_id,
      operation_data.map((o) => ({
        documentId: o.document_id,
        partialUpdate: o.partial_update,
        values: o.metadata_list.map((m) => ({ fieldId: m.id, name: m.name, value: m.value })),
      })),
    );
    return { result: "success" };
  });
}
