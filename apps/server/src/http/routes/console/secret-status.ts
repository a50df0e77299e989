import type { FastifyInstance } from "fastify";
import type { SecretStatusView } from "@enclave/contracts";
import type { Config } from "../../../config.ts";

/**
 * The console's view of the deployment's secret handling for the current workspace (owner/admin):
 * which stores are on, which references the workspace may use, and whether its data key unwraps
 * right now (an encrypt/decrypt round trip under the workspace key, so a broken KEK shows here).
 */
export function secretStatusRoutes(deps: { config: Config }) {
  return async (app: FastifyInstance) => {
    app.get(
      "/console/api/workspaces/current/secret-status",
      { config: { permission: "workspace.update" } },
      async (request): Promise<SecretStatusView> => {
        const { config } = deps;
        const ctx = request.ctx;
        const workspaceId = ctx.workspace!.id;
        let ok = false;
        try {
          const envelope = ctx.services.envelope!;
          const field = "secret_status:probe";
          const probe = await envelope.encrypt(workspaceId, field, "probe", ctx.db);
          ok = (await envelope.decrypt(workspaceId, field, probe, ctx.db)) === "probe";
        } catch (err) {
          request.log.error({ err }, "the workspace data key does not round-trip");
        }
        return {
          kekProvider: config.secrets.kekProvider,
          auditSigner: config.audit.signer,
          stores: { vault: !!config.vault.address, aws: !!config.aws.region, files: true },
          referencePrefixes: config.secretReferencePrefixes.map((p) =>
            p.replaceAll("{workspaceId}", workspaceId),
          ),
          cacheSeconds: config.secretCache.ttlSeconds,
          graceSeconds: config.secretCache.graceSeconds,
          encryption: { ok, checkedAt: new Date().toISOString() },
        };
      },
    );
  };
}
