import { readFileSync } from "node:fs";
import type { DatabaseHandle } from "@enclave/db";
import type { VerifyReport } from "@enclave/core";
import type { Config } from "../config.ts";

export interface CliVerification {
  report: VerifyReport;
  /** Where the external checkpoint came from, when one was compared. */
  comparedWith: string | null;
}

/**
 * The full audit verification behind `audit verify` and `doctor --verify`: every leaf, the chain,
 * the signed checkpoints, and the newest external checkpoint — FILE when given, otherwise the
 * newest one this deployment shipped to its file sink. Stores the result for the console badge.
 */
export async function verifyAuditForCli(
  config: Config,
  database: DatabaseHandle,
  checkpointFile?: string,
): Promise<CliVerification> {
  const core = await import("@enclave/core");
  const { openAuditSettings } = await import("../secrets.ts");
  const settings = await openAuditSettings(config);
  let external = checkpointFile ? readFileSync(checkpointFile, "utf8") : undefined;
  let comparedWith = checkpointFile ?? null;
  if (external === undefined && config.audit.ship.fileDir) {
    const { newestShippedCheckpoint } = await import("../audit-sinks/shipped-checkpoint.ts");
    external = (await newestShippedCheckpoint(config.audit.ship.fileDir)) ?? undefined;
    if (external) comparedWith = `the newest checkpoint shipped to ${config.audit.ship.fileDir}`;
  }
  const { createLogger } = await import("../http/logger.ts");
  const ctx = core.systemCtx(
    { db: database.db, log: createLogger("warn"), services: {} },
    "audit-verify",
    "cli",
  );
  return { report: await core.runAuditVerification(ctx, settings, external), comparedWith };
}
