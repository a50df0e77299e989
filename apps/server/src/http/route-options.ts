import type { Permission } from "@enclave/contracts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The permission a caller needs; checked before the handler runs. */
    permission?: Permission;
    /** Reachable without authentication. Exactly one of `permission` / `public` must be set. */
    public?: boolean;
    /** Reachable by a signed-in user whom workspace policy still requires to enrol in MFA. */
    allowDuringMfaEnrolment?: boolean;
    /** How callers authenticate: the console session cookie (default), an app key, a knowledge (`dataset-`) key, or a web app visit. */
    auth?: "session" | "appKey" | "datasetKey" | "visitor";
    /** Error body shape: ours (default), Dify's `{code,message,status}` (/v1 default), or OpenAI's. */
    errorFormat?: "console" | "dify" | "openai";
  }
}

export {};
