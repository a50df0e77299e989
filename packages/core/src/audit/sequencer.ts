import { asc, inArray } from "drizzle-orm";
import { auditInbox, type Database } from "@enclave/db";
import { appendAuditEvents } from "./chain.ts";

const BATCH = 2000;

/**
 * Moves committed events from audit_inbox into the hash chain. One run at a time per database
 * handle; callers arriving during a run share the next one, so N concurrent transactions cost
 * about one chain-head lock instead of N. Across processes the head lock serialises runs.
 */
class Sequencer {
  private readonly db: Database;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(db: Database) {
    this.db = db;
  }

  /** Resolves after a run that started after this call has finished (so it saw the caller's rows). */
  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.flush();
      });
    return this.next;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const moved = await this.db.transaction(async (tx) => {
        // appendAuditEvents locks the head first; rows are read after it, so two sequencers never
        // chain the same row (the second sees the first one's deletions once it gets the lock).
        let count = 0;
        await appendAuditEvents(tx, async () => {
          const rows = await tx.select().from(auditInbox).orderBy(asc(auditInbox.id)).limit(BATCH);
          count = rows.length;
          if (rows.length > 0)
            await tx.delete(auditInbox).where(
              inArray(
                auditInbox.id,
                rows.map((r) => r.id),
              ),
            );
          return rows;
        });
        return count;
      });
      if (moved < BATCH) return;
    }
  }
}

const sequencers = new WeakMap<object, Sequencer>();

/** Chains every committed-but-pending audit event; safe to call from anywhere, any time. */
export function flushAuditInbox(db: Database): Promise<void> {
  let s = sequencers.get(db);
  if (!s) {
    s = new Sequencer(db);
    sequencers.set(db, s);
  }
  return s.flush();
}
