import { desc, gte, asc, and, lt, sql } from "drizzle-orm";
import { auditChainHead, auditCheckpoints, auditEvents, type Database } from "@enclave/db";
import { deriveKey } from "../crypto/keys.ts";
import { MerkleFrontier } from "./merkle.ts";
import { flushAuditInbox } from "./sequencer.ts";
import { uuidv7 } from "uuidv7";
import { appendAuditEvents } from "./chain.ts";
import { noteSignerFromSeed, signCheckpoint, type NoteSigner } from "./signed-note.ts";

export interface AuditSettings {
  /** Checkpoint origin line and signing key name, e.g. `enclave.example.com/audit`. */
  origin: string;
  signer: NoteSigner;
}

/** Checkpoint signing key derived from the root secret (a Vault Transit signer can replace it). */
export function auditSettingsFromSecret(rootSecret: string, origin: string): AuditSettings {
  return { origin, signer: noteSignerFromSeed(origin, deriveKey(rootSecret, "audit-checkpoint-ed25519")) };
}

export interface StoredCheckpoint {
  size: number;
  rootHash: string;
  note: string;
}

const BATCH = 5000;

/**
 * Signs a checkpoint over every event appended so far, continuing from the last checkpoint's
 * frontier (only new leaves are read). Returns null when nothing was appended since. Safe to run
 * from several processes: one wins the advisory lock, and `size` is unique anyway.
 */
export async function createCheckpoint(
  db: Database,
  settings: AuditSettings,
): Promise<StoredCheckpoint | null> {
  // Events committed by a process that died before chaining them are chained now.
  await flushAuditInbox(db);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${0x656e6332})`);
    const [head] = await tx.select().from(auditChainHead);
    const [last] = await tx.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.size)).limit(1);
    const target = head?.nextSeq ?? 0;
    if (target === 0 || (last && last.size >= target)) return null;
    const frontier = last
      ? MerkleFrontier.from(
          last.size,
          last.frontier.map((h) => Buffer.from(h, "hex")),
        )
      : new MerkleFrontier();
    while (frontier.size < target) {
      const rows = await tx
        .select({ seq: auditEvents.seq, leafHash: auditEvents.leafHash })
        .from(auditEvents)
        .where(and(gte(auditEvents.seq, frontier.size), lt(auditEvents.seq, target)))
        .orderBy(asc(auditEvents.seq))
        .limit(BATCH);
      if (rows.length === 0 || rows[0]!.seq !== frontier.size) {
        throw new Error(`audit log has a gap at seq ${frontier.size}: run \`enclave audit verify\``);
      }
      for (const row of rows) {
        if (row.seq !== frontier.size) throw new Error(`audit log has a gap at seq ${frontier.size}`);
        frontier.append(Buffer.from(row.leafHash, "hex"));
      }
    }
    const rootHash = frontier.root();
    const note = await signCheckpoint(
      { origin: settings.origin, size: frontier.size, rootHash },
      settings.signer,
    );
    const stored = { size: frontier.size, rootHash: rootHash.toString("hex"), note };
    await tx.insert(auditCheckpoints).values({
      ...stored,
      frontier: frontier.hashes().map((h) => h.toString("hex")),
      keyName: settings.signer.name,
    });
    return stored;
  });
}

/**
 * The worker's periodic step: a checkpoint over new events, or — when nothing happened for
 * `heartbeatAfterMs` — an `audit.heartbeat` event and a checkpoint over it, so a SIEM can alert
 * when the signed heartbeats stop arriving (audit disabled, or history cut off and frozen).
 */
export async function checkpointOrHeartbeat(
  db: Database,
  settings: AuditSettings,
  heartbeatAfterMs: number,
  now: Date = new Date(),
): Promise<StoredCheckpoint | null> {
  const made = await createCheckpoint(db, settings);
  if (made) return made;
  const [last] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.size)).limit(1);
  if (last && now.getTime() - last.createdAt.getTime() < heartbeatAfterMs) return null;
  await db.transaction((tx) =>
    appendAuditEvents(tx, [
      {
        id: uuidv7(),
        createdAt: now,
        workspaceId: null,
        actorType: "system",
        actorId: "audit-heartbeat",
        ip: null,
        userAgent: null,
        action: "audit.heartbeat",
        targetType: null,
        targetId: null,
        outcome: "success",
        requestId: null,
        details: { checkpointSize: last?.size ?? 0 },
      },
    ]),
  );
  return createCheckpoint(db, settings);
}
