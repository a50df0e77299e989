import { authenticateAppKey } from "@enclave/core";
import type { Authenticate } from "./request-context.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Service API authentication: `Authorization: Bearer app-…`, looked up by hash. */
export const appKeyAuthenticate: Authenticate = async (request) => {
  const header = request.headers.authorization;
  const token = typeof header === "string" ? BEARER.exec(header)?.[1] : undefined;
  if (!token || !token.startsWith("app-") || token.length > 200) return null;
  const key = await authenticateAppKey(request.ctx, token);
  if (!key) return null;
  return {
    actor: { type: "apiKey", keyId: key.keyId, appId: key.appId },
    workspace: { id: key.workspaceId },
  };
};
