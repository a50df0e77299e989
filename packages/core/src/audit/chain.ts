import { eq } from "drizzle-orm";
import { auditChainHead, auditEvents, type Transaction } from "@enclave/db";
import { canonicalJson } from "./canonical-json.ts";
import { leafHashHex } from "./merkle.ts";

export type AuditRow = typeof auditEvents.$inferSelect;
export type AuditRowInput = Omit<AuditRow, "seq" | "prevHash" | "leafHash">;

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

/** leaf = SHA-256(0x00 || canonical JSON of the event), hex. */
/** An event as hashed: `createdAt` as a Date or already as its ISO-8601 UTC string (fast reads). */
export type HashableRow = Omit<AuditRow, "leafHash" | "createdAt"> & { createdAt: Date | string };

export function auditLeafHex(row: HashableRow): string {
  return leafHashHex(canonicalRecord(row));
}

/**
 * Appends events to the chain: locks the chain head (so seq is gapless), links each event to the
 * previous hash, and moves the head. Call last in a transaction, so no other lock is taken after
 * this one; the audit sequencer (sequencer.ts) is the usual caller.
 */
export async function appendAuditEvents(
  tx: Transaction,
  input: AuditRowInput[] | (() => Promise<AuditRowInput[]>),
): Promise<AuditRow[]> {
  if (Array.isArray(input) && input.length === 0) return [];
  const [head] = await tx.select().from(auditChainHead).where(eq(auditChainHead.id, 1)).for("update");
  if (!head) throw new Error("audit chain head is missing: run migrations");
  // A function is read only once the lock is held (the sequencer picks its rows under it).
  const rows = Array.isArray(input) ? input : await input();
  if (rows.length === 0) return [];
  let seq = head.nextSeq;
  let prevHash = head.lastHash;
  const chained = rows.map((row) => {
    const base = { ...row, seq, prevHash };
    const leaf = auditLeafHex(base);
    seq += 1;
    prevHash = leaf;
    return { ...base, leafHash: leaf };
  });
  await tx.insert(auditEvents).values(chained);
  await tx.update(auditChainHead).set({ nextSeq: seq, lastHash: prevHash }).where(eq(auditChainHead.id, 1));
  return chained;
}
