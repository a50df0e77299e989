import { and, eq } from "drizzle-orm";
import { workspaceDataKeys, type Database } from "@enclave/db";
import { kekFor, newDataKey, type KekRing } from "./kek.ts";
import { open, seal } from "./seal.ts";

const PREFIX = "enc1";
const CACHE_TTL_MS = 5 * 60_000;

/**
 * Envelope encryption of tenant secrets (provider API keys, sink credentials): each workspace has
 * a data key, stored wrapped by the KEK; fields are AES-256-GCM under it with a random 96-bit
 * nonce, the data key id in the header and `workspace id + field name` as associated data, so a
 * ciphertext moved to another workspace or field does not decrypt.
 * Format: `enc1.<data key id>.<sealed>`.
 */
export class Envelope {
  private readonly db: Database;
  private readonly ring: KekRing;
  private readonly cache = new Map<string, { key: Buffer; until: number }>();

  constructor(db: Database, ring: KekRing) {
    this.db = db;
    this.ring = ring;
  }

  async encrypt(
    workspaceId: string,
    field: string,
    plaintext: string,
    db: Database = this.db,
  ): Promise<string> {
    const { id, key } = await this.activeKey(workspaceId, db);
    return `${PREFIX}.${id}.${seal(key, plaintext, `${workspaceId}:${field}`)}`;
  }

  async decrypt(
    workspaceId: string,
    field: string,
    ciphertext: string,
    db: Database = this.db,
  ): Promise<string> {
    const [prefix, keyIdPart, ...rest] = ciphertext.split(".");
    if (prefix !== PREFIX || !keyIdPart || rest.length === 0) throw new Error("not an encrypted value");
    const key = await this.keyById(workspaceId, keyIdPart, db);
    return open(key, rest.join("."), `${workspaceId}:${field}`);
  }

  /** Masked form for reads: the first and last characters only, e.g. `sk-abc…xy`. */
  static mask(plaintext: string): string {
    if (plaintext.length <= 8) return "••••";
    return `${plaintext.slice(0, 6)}…${plaintext.slice(-2)}`;
  }

  private async activeKey(workspaceId: string, db: Database): Promise<{ id: string; key: Buffer }> {
    const [row] = await db
      .select()
      .from(workspaceDataKeys)
      .where(and(eq(workspaceDataKeys.workspaceId, workspaceId), eq(workspaceDataKeys.status, "active")))
      .limit(1);
    if (row) return { id: row.id, key: await this.unwrapRow(row) };
    const key = newDataKey();
    const kek = this.ring.current;
    const [created] = await db
      .insert(workspaceDataKeys)
      .values({ workspaceId, wrappedKey: await kek.wrap(key, workspaceId), kekId: kek.id })
      .onConflictDoNothing()
      .returning();
    if (!created) return this.activeKey(workspaceId, db); // another process created it first
    this.cache.set(created.id, { key, until: Date.now() + CACHE_TTL_MS });
    return { id: created.id, key };
  }

  private async keyById(workspaceId: string, id: string, db: Database): Promise<Buffer> {
    const cached = this.cache.get(id);
    if (cached && cached.until > Date.now()) return cached.key;
    const [row] = await db
      .select()
      .from(workspaceDataKeys)
      .where(and(eq(workspaceDataKeys.id, id), eq(workspaceDataKeys.workspaceId, workspaceId)))
      .limit(1);
    if (!row) throw new Error("data key not found for this workspace");
    return this.unwrapRow(row);
  }

  private async unwrapRow(row: typeof workspaceDataKeys.$inferSelect): Promise<Buffer> {
    const cached = this.cache.get(row.id);
    if (cached && cached.until > Date.now()) return cached.key;
    const key = await kekFor(this.ring, row.kekId).unwrap(row.wrappedKey, row.workspaceId);
    this.cache.set(row.id, { key, until: Date.now() + CACHE_TTL_MS });
    return key;
  }

  /**
   * Retires the workspace's active data key and makes a new one: new ciphertexts use it at once,
   * old ones still decrypt (retired keys stay until every field is re-encrypted).
   */
  async rotateDataKey(workspaceId: string): Promise<string> {
    const key = newDataKey();
    const kek = this.ring.current;
    const wrappedKey = await kek.wrap(key, workspaceId);
    const created = await this.db.transaction(async (tx) => {
      await tx
        .update(workspaceDataKeys)
        .set({ status: "retired" })
        .where(and(eq(workspaceDataKeys.workspaceId, workspaceId), eq(workspaceDataKeys.status, "active")));
      const [row] = await tx
        .insert(workspaceDataKeys)
        .values({ workspaceId, wrappedKey, kekId: kek.id })
        .returning({ id: workspaceDataKeys.id });
      return row!.id;
    });
    this.cache.set(created, { key, until: Date.now() + CACHE_TTL_MS });
    return created;
  }

  /** Is this ciphertext already under the workspace's active data key? */
  async isUnderActiveKey(workspaceId: string, ciphertext: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: workspaceDataKeys.id })
      .from(workspaceDataKeys)
      .where(and(eq(workspaceDataKeys.workspaceId, workspaceId), eq(workspaceDataKeys.status, "active")));
    return row !== undefined && ciphertext.split(".")[1] === row.id;
  }

  /**
   * Rewraps every data key under the current KEK (online: readers keep working, because the old
   * KEK stays in the ring until this finishes). Returns how many keys were rewrapped.
   */
  async rewrapAll(): Promise<number> {
    const rows = await this.db.select().from(workspaceDataKeys);
    let n = 0;
    for (const row of rows) {
      const current = this.ring.current;
      if (row.kekId === current.id && !(await current.needsRewrap?.(row.wrappedKey))) continue;
      const key = await kekFor(this.ring, row.kekId).unwrap(row.wrappedKey, row.workspaceId);
      const wrappedKey = await this.ring.current.wrap(key, row.workspaceId);
      await this.db
        .update(workspaceDataKeys)
        .set({ wrappedKey, kekId: this.ring.current.id })
        .where(
          and(
            eq(workspaceDataKeys.id, row.id),
            eq(workspaceDataKeys.kekId, row.kekId),
            eq(workspaceDataKeys.wrappedKey, row.wrappedKey),
          ),
        );
      n++;
    }
    return n;
  }
}
