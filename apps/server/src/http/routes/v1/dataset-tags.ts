import type { FastifyInstance } from "fastify";
import {
  DifyBindTags,
  DifyCreateTag,
  DifyDatasetParams,
  DifyDeleteTag,
  DifyRenameTag,
  DifyUnbindTags,
} from "@enclave/contracts";
import {
  createTag,
  datasetTags,
  deleteTag,
  listTags,
  renameTag,
  setDatasetTags,
  type TagView,
} from "@enclave/core";

const READ = { config: { permission: "dataset.read" as const, auth: "datasetKey" as const } };
const MANAGE = { config: { permission: "dataset.manage" as const, auth: "datasetKey" as const } };

// Dify sends binding_count as a string.
const toDifyTag = (t: TagView) => ({
  id: t.id,
  name: t.name,
  type: "knowledge",
  binding_count: String(t.bindingCount),
});

/** Dify's knowledge tags: workspace-wide names, bound to datasets. */
export function registerDatasetTagRoutes(app: FastifyInstance): void {
  app.post("/v1/datasets/tags", MANAGE, async (request) =>
    toDifyTag(await createTag(request.ctx, DifyCreateTag.parse(request.body).name)),
  );
  app.get("/v1/datasets/tags", READ, async (request) => (await listTags(request.ctx)).map(toDifyTag));
  app.patch("/v1/datasets/tags", MANAGE, async (request) => {
    const b = DifyRenameTag.parse(request.body);
    return toDifyTag(await renameTag(request.ctx, b.tag_id, b.name));
  });
  app.delete("/v1/datasets/tags", MANAGE, async (request, reply) => {
    await deleteTag(request.ctx, DifyDeleteTag.parse(request.body).tag_id);
    return reply.status(204).send();
  });
  app.post("/v1/datasets/tags/binding", MANAGE, async (request, reply) => {
    const b = DifyBindTags.parse(request.body);
    await setDatasetTags(request.ctx, b.target_id, b.tag_ids, true);
    return reply.status(204).send();
  });
  app.post("/v1/datasets/tags/unbinding", MANAGE, async (request, reply) => {
    const b = DifyUnbindTags.parse(request.body);
    await setDatasetTags(request.ctx, b.target_id, b.tag_ids ?? [b.tag_id!], false);
    return reply.status(204).send();
  });
  app.get("/v1/datasets/:dataset_id/tags", READ, async (request) => {
    const tags = await datasetTags(request.ctx, DifyDatasetParams.parse(request.params).dataset_id);
    return { data: tags, total: tags.length };
  });
}
