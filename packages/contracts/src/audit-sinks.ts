import { z } from "zod";
import { httpUrlWithoutCredentials } from "./urls.ts";

// Workspace audit sinks configured in the console. The Authorization value is write-only.

const url = httpUrlWithoutCredentials("put credentials in `authorization`, not in the URL");
const authorization = z
  .string()
  .min(1)
  .max(4000)
  .refine((v) => !/[\r\n]/.test(v), "a header value cannot contain line breaks");
const index = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,199}$/, "lowercase letters, digits, '.', '_' and '-'");

export const CreateAuditSinkInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    url,
    format: z.enum(["generic", "elasticsearch"]).default("generic"),
    index: index.optional(),
    /** Full header value, e.g. `Bearer …` or `ApiKey …`; stored encrypted, never returned. */
    authorization: authorization.optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type CreateAuditSinkInput = z.infer<typeof CreateAuditSinkInput>;

/** PATCH: a field left out is unchanged; `authorization: null` removes the header. */
export const UpdateAuditSinkInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    url: url.optional(),
    format: z.enum(["generic", "elasticsearch"]).optional(),
    index: index.nullable().optional(),
    authorization: authorization.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpdateAuditSinkInput = z.infer<typeof UpdateAuditSinkInput>;

export interface AuditSinkView {
  id: string;
  name: string;
  url: string;
  format: "generic" | "elasticsearch";
  index: string | null;
  /** Masked (`Bearer…xy`), or null when no header is sent. */
  authorization: string | null;
  enabled: boolean;
  /** Highest event seq the sink has acknowledged; -1 before the first delivery. */
  shippedSeq: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * What a workspace admin may know about where the deployment keeps its secrets: which stores are
 * configured and which reference prefixes this workspace may type in the console. No addresses,
 * tokens or file paths of the deployment itself.
 */
export interface SecretStatusView {
  /** Who wraps the workspace data keys. */
  kekProvider: "local" | "vault-transit";
  /** Who signs audit checkpoints. */
  auditSigner: "local" | "vault-transit";
  stores: { vault: boolean; aws: boolean; files: boolean };
  /** Reference prefixes allowed in this workspace's console fields, `{workspaceId}` filled in. */
  referencePrefixes: string[];
  cacheSeconds: number;
  graceSeconds: number;
  /** A round trip through this workspace's data key (and so the KEK) just now. */
  encryption: { ok: boolean; checkedAt: string };
}
