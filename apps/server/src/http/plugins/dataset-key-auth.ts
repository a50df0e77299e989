import { authenticateDatasetKey } from "@enclave/core";
import type { Authenticate } from "./request-context.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Knowledge service API authentication: `Authorization: Bearer dataset-…`, looked up by hash. */
export const datasetKeyAuthenticate: Authenticate = async (request) => {
  const header = request.headers.authorization;
  const token = typeof header === "string" ? BEARER.exec(header)?.[1] : undefined;
  if (!token || !token.startsWith("dataset-") || token.length > 200) return null;
  const key = await authenticateDatasetKey(request.ctx, token);
  if (!key) return null;
  return { actor: { type: "datasetKey", keyId: key.keyId }, workspace: { id: key.workspaceId } };
};
