// The leaf of one audit event, with nothing else: verification worker threads load this module
// (and merkle.ts) without the database layer.
import type { auditEvents } from "@enclave/db";
import { canonicalJson } from "./canonical-json.ts";
import { leafHashHex } from "./merkle.ts";

export type AuditRow = typeof auditEvents.$inferSelect;

/** The prev_hash of seq 0. */
export const GENESIS_HASH = "0".repeat(64);

/** The exact object whose RFC 8785 form is hashed: every column except the hash itself. */
export function hashedRecord(row: Omit<AuditRow, "leafHash">): Record<string, unknown> {
  return {
    seq: row.seq,
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    workspaceId: row.workspaceId,
    actorType: row.actorType,
    actorId: row.actorId,
    ip: row.ip,
    userAgent: row.userAgent,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    outcome: row.outcome,
    requestId: row.requestId,
    details: row.details,
    prevHash: row.prevHash,
  };
}

/**
 * canonicalJson(hashedRecord(row)) without building and sorting an object per row: the record's
 * keys are fixed, so their RFC 8785 order is too. Verification hashes every event, so this is hot;
 * a test pins it to the generic form.
 */
export function canonicalRecord(row: HashableRow): string {
  const j = JSON.stringify;
  const createdAt = typeof row.createdAt === "string" ? row.createdAt : row.createdAt.toISOString();
  return (
    `{"action":${j(row.action)},"actorId":${j(row.actorId)},"actorType":${j(row.actorType)},` +
    `"createdAt":${j(createdAt)},"details":${canonicalJson(row.details)},"id":${j(row.id)},` +
    `"ip":${j(row.ip)},"outcome":${j(row.outcome)},"prevHash":${j(row.prevHash)},"requestId":${j(row.requestId)},` +
    `"seq":${j(row.seq)},"targetId":${j(row.targetId)},"targetType":${j(row.targetType)},` +
    `"userAgent":${j(row.userAgent)},"workspaceId":${j(row.workspaceId)}}`
  );
}

/** An event as hashed: `createdAt` as a Date or already as its ISO-8601 UTC string (fast reads). */
export type HashableRow = Omit<AuditRow, "leafHash" | "createdAt"> & { createdAt: Date | string };

/** leaf = SHA-256(0x00 || canonical JSON of the event), hex. */
export function auditLeafHex(row: HashableRow): string {
  return leafHashHex(canonicalRecord(row));
}
