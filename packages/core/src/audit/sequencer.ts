import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@enclave/db";
import { linkEvents, writeLinked } from "./chain.ts";
import { eventFromText, eventTextColumns, type EventText } from "./event-text.ts";

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
      const picked = await this.db.transaction(async (tx) => {
        // One statement locks the head, then (the EXISTS gate makes the order certain) deletes the
        // oldest pending rows, returning them as text. Holding the head means no other run is
        // mid-flight, so a picked row another run already moved is simply skipped by the DELETE;
        // no row locks on the inbox, which the runtime role may not take (no UPDATE privilege).
        const raw = await queryRows<EventText & { next_seq: string; last_hash: string; picked: number }>(
          tx,
          sql`with head as (select next_seq, last_hash from audit_chain_head where id = 1 for update),
                   picked as (select id from audit_inbox where exists (select 1 from head)
                              order by id limit ${BATCH}),
                   moved as (delete from audit_inbox i using picked p where i.id = p.id returning i.*)
              select h.next_seq::text as next_seq, h.last_hash, (select count(*) from picked)::int as picked,
                     ${eventTextColumns("m")}
              from head h left join moved m on true order by m.id`,
        );
        const first = raw[0];
        if (!first) throw new Error("audit chain head is missing: run migrations");
        if (first.id !== null) {
          const head = { nextSeq: Number(first.next_seq), lastHash: first.last_hash };
          const linked = linkEvents(head, raw.map(eventFromText));
          await writeLinked(tx, linked.chained, linked.head);
        }
        // A full pick means more may be pending, even if some picked rows were already gone.
        return first.picked;
      });
      if (picked < BATCH) return;
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
