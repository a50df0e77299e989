// Hashing one batch of audit events for verification: pure, so it runs the same inline or on a
// verification thread (verify-worker.ts). The batch arrives as the JSON text PostgreSQL built
// (one value per batch, no per-row decoding in the reading thread) and leaves as flat buffers.
import { hash } from "node:crypto";
import { canonicalRecord, type HashableRow } from "./canonical-record.ts";

/** Columns of one event as verification reads them (see BATCH_COLUMNS in verify.ts). */
export type BatchTuple = [
  seq: number,
  id: string,
  createdAt: string,
  workspaceId: string | null,
  actorType: string,
  actorId: string | null,
  ip: string | null,
  userAgent: string | null,
  action: string,
  targetType: string | null,
  targetId: string | null,
  outcome: string,
  requestId: string | null,
  details: Record<string, unknown>,
  prevHash: string,
  leafHash: string,
];

export interface HashedBatch {
  seqs: Float64Array;
  /** 32 bytes per event: the leaf recomputed from the content. */
  computed: Uint8Array;
  /** 32 bytes per event: the stored leaf_hash and prev_hash, decoded. */
  stored: Uint8Array;
  prev: Uint8Array;
  /** 1 where the stored leaf_hash / prev_hash is not 64 lowercase hex digits (never equal to anything). */
  badStored: Uint8Array;
  badPrev: Uint8Array;
}

export function tupleRow(t: BatchTuple): HashableRow & { leafHash: string } {
  return {
    seq: t[0],
    id: t[1],
    createdAt: t[2],
    workspaceId: t[3],
    actorType: t[4] as HashableRow["actorType"],
    actorId: t[5],
    ip: t[6],
    userAgent: t[7],
    action: t[8],
    targetType: t[9],
    targetId: t[10],
    outcome: t[11] as HashableRow["outcome"],
    requestId: t[12],
    details: t[13],
    prevHash: t[14],
    leafHash: t[15],
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

export function hashBatch(json: string): HashedBatch {
  const rows = JSON.parse(json) as BatchTuple[];
  const n = rows.length;
  const out: HashedBatch = {
    seqs: new Float64Array(n),
    computed: new Uint8Array(32 * n),
    stored: new Uint8Array(32 * n),
    prev: new Uint8Array(32 * n),
    badStored: new Uint8Array(n),
    badPrev: new Uint8Array(n),
  };
  const computed = Buffer.from(out.computed.buffer);
  const stored = Buffer.from(out.stored.buffer);
  const prev = Buffer.from(out.prev.buffer);
  for (let i = 0; i < n; i++) {
    const t = rows[i]!;
    out.seqs[i] = t[0];
    // leaf = SHA-256(0x00 || canonical JSON), as leafHashHex in merkle.ts, straight into the buffer.
    (hash("sha256", `\0${canonicalRecord(tupleRow(t))}`, "buffer") as Buffer).copy(computed, i * 32);
    if (typeof t[15] === "string" && HEX64.test(t[15])) stored.write(t[15], i * 32, 32, "hex");
    else out.badStored[i] = 1;
    if (typeof t[14] === "string" && HEX64.test(t[14])) prev.write(t[14], i * 32, 32, "hex");
    else out.badPrev[i] = 1;
  }
  return out;
}

/** The buffers to transfer (not copy) back from a thread. */
export function transferList(b: HashedBatch): ArrayBuffer[] {
  return [b.seqs, b.computed, b.stored, b.prev, b.badStored, b.badPrev].map((a) => a.buffer as ArrayBuffer);
}
