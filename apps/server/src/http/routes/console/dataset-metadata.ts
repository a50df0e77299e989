import type { FastifyInstance } from "fastify";
import {
  BuiltInMetadataParams,
  CreateMetadataFieldInput,
  type DatasetMetadataView,
  DatasetParams,
  DocumentParams,
  MetadataFieldParams,
  RenameMetadataFieldInput,
  SetDocumentMetadataInput,
} from "@enclave/contracts";
import {
  BUILTIN_METADATA_FIELDS,
  createMetadataField,
  deleteMetadataField,
  getDocument,
  listMetadataFields,
  renameMetadataField,
  setBuiltInMetadata,
  setDocumentsMetadata,
} from "@enclave/core";

const READ = { config: { permission: "dataset.read" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const } };
const META = "/console/api/datasets/:id/metadata";

/** A dataset's metadata in the console: custom fields, the built-in switch, one document's values. */
export function registerConsoleMetadataRoutes(app: FastifyInstance): void {
  app.get(META, READ, async (request): Promise<DatasetMetadataView> => {
    const list = await listMetadataFields(request.ctx, DatasetParams.parse(request.params).id);
    return { fields: list.fields, builtInEnabled: list.builtInEnabled, builtIn: BUILTIN_METADATA_FIELDS };
  });
  app.post(META, MANAGE, async (request, reply) => {
    const { id } = DatasetParams.parse(request.params);
    const input = CreateMetadataFieldInput.parse(request.body);
    return reply.status(201).send(await createMetadataField(request.ctx, id, input));
  });
  app.post(`${META}/built-in/:action`, MANAGE, async (request) => {
    const { id, action } = BuiltInMetadataParams.parse(request.params);
    await setBuiltInMetadata(request.ctx, id, action === "enable");
    return { builtInEnabled: action === "enable" };
  });
  app.patch(`${META}/:fieldId`, MANAGE, async (request) => {
    const { id, fieldId } = MetadataFieldParams.parse(request.params);
    const { name } = RenameMetadataFieldInput.parse(request.body);
    return renameMetadataField(request.ctx, id, fieldId, name);
  });
  app.delete(`${META}/:fieldId`, MANAGE, async (request, reply) => {
    const { id, fieldId } = MetadataFieldParams.parse(request.params);
    await deleteMetadataField(request.ctx, id, fieldId);
    return reply.status(204).send();
  });
  // Sets named fields by id and keeps the rest (PATCH …/documents/:documentId replaces the whole object).
  app.put("/console/api/datasets/:id/documents/:documentId/metadata", MANAGE, async (request) => {
    const { id, documentId } = DocumentParams.parse(request.params);
    const { values } = SetDocumentMetadataInput.parse(request.body);
    await setDocumentsMetadata(request.ctx, id, [{ documentId, partialUpdate: true, values }]);
    return getDocument(request.ctx, id, documentId);
  });
}
