import { is, sql } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import { executePrepared, type Database } from "@enclave/db";
import {
  EVENT_COLUMNS,
  linkEvents,
  linkedRecordset,
  type AuditRowInput,
  type ChainHead,
  type LinkedRow,
} from "./chain.ts";
import { eventFromText, eventTextColumns, type EventText } from "./event-text.ts";

const BATCH = 2000;

// Constant text, so it runs as a prepared statement (parsed and planned once per connection).
// The chain head and the oldest pending inbox rows, as text, in one snapshot; nothing is locked.
const PICK = sql`with picked as (select * from audit_inbox order by id limit ${sql.raw(String(BATCH))})
              select h.next_seq::text as next_seq, h.last_hash, (select count(*) from picked)::int as picked,
                     ${eventTextColumns("m")}
              from audit_chain_head h left join picked m on true where h.id = 1 order by m.id`;

/**
 * One statement, so one transaction and one round trip: if the head is still where the run read
 * it (locked here, so the check holds until commit) and every inbox row the run chains is still
 * pending, delete those inbox rows, insert the linked events and move the head; otherwise change
 * nothing and return no row. Any other run — this process's or another's — moves the head, so a
 * run that wins saw every row it chains still pending, and one that loses reads again. The
 * pending check matters for rows handed over after their commit (never read back): another
 * process may have chained them from the inbox already.
 */
async function writeRun(
  db: Database,
  expected: ChainHead,
  inboxIds: string[],
  rows: LinkedRow[],
  next: ChainHead,
): Promise<boolean> {
  const { rows: won } = await executePrepared<{ ok: number }>(
    db,
    "enclave_audit_sequence_write",
    sql`with ids as (select ${`{${inboxIds.join(",")}}`}::uuid[] as a),
        head as (
          select id from audit_chain_head
          where id = 1 and next_seq = ${expected.nextSeq} and last_hash = ${expected.lastHash}
            and (select count(*) from audit_inbox, ids where audit_inbox.id = any(ids.a)) = (select cardinality(a) from ids)
          for update),
        moved as (
          delete from audit_inbox using ids
          where audit_inbox.id = any(ids.a) and exists (select 1 from head)),
        inserted as (
          insert into audit_events (${EVENT_COLUMNS}, seq, prev_hash, leaf_hash)
          select ${EVENT_COLUMNS}, seq, prev_hash, leaf_hash from ${linkedRecordset(rows)}
          where exists (select 1 from head))
        update audit_chain_head h set next_seq = ${next.nextSeq}, last_hash = ${next.lastHash}, updated_at = now()
        from head where h.id = head.id
        returning 1 as ok`,
  );
  return won.length === 1;
}

type Pending = Omit<AuditRowInput, "createdAt"> & { createdAt: Date | string };

/**
 * Moves committed events from audit_inbox into the hash chain, together with events handed to it
 * directly (events of no business transaction). One run at a time per database handle; callers
 * arriving during a run share the next one, so N concurrent callers cost one run instead of N. A
 * run is two statements — read the head and the inbox, then write under the head lock if the head
 * has not moved — or one, when this process knows the head and every waiting event is in memory:
 * handed over directly, or committed to the inbox by this process's own transactions (their rows
 * are the ones just inserted, so reading them back would only cost time). Across processes the
 * head check serialises runs (a loser re-reads and relinks).
 */
class Sequencer {
  private readonly db: Database;
  /** Callers waiting for the next run: it starts after they queued their rows, so it sees them. */
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Events waiting for the next run; they exist nowhere else until it commits. */
  private direct: AuditRowInput[] = [];
  /** Events this process's transactions committed to audit_inbox, with who to tell if chaining them fails. */
  private committed: AuditRowInput[] = [];
  private onCommittedError: ((err: unknown) => void) | null = null;
  private looping = false;
  /** Someone waits for inbox rows (not only handed-over events): the next run must read the inbox. */
  private inboxWaiting = false;
  /** Where this process last left the head; a stale value only costs a failed write and a re-read. */
  private head: ChainHead | null = null;

  constructor(db: Database) {
    this.db = db;
  }

  /** Resolves after a run that started after this call has finished (so it saw the caller's rows). */
  flush(): Promise<void> {
    this.inboxWaiting = true;
    return this.wait();
  }

  private wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.start();
    });
  }

  private start(): void {
    if (!this.looping) {
      this.looping = true;
      setImmediate(() => void this.loop());
    }
  }

  /** Chains `rows` in the next run; resolves once they are committed, rejects if that run failed. */
  append(rows: AuditRowInput[]): Promise<void> {
    this.direct.push(...rows);
    return this.wait();
  }

  /**
   * Takes rows a transaction has just committed to audit_inbox; the next run chains them without
   * reading them back. Nobody waits: they are durable already, and if the run fails they stay in
   * the inbox for the next flush, `onError` hears of it.
   */
  committedToInbox(rows: AuditRowInput[], onError: (err: unknown) => void): void {
    this.committed.push(...rows);
    this.onCommittedError = onError;
    this.start();
  }

  /**
   * Runs while anyone waits or committed rows are queued. After a run that chained handed-over
   * events it yields a turn of the event loop, so the callers it has just resolved queue their
   * next events first and share the next run instead of each taking one (measured: 1 event per
   * run without it, ~17 with it, at 16 writers).
   */
  private async loop(): Promise<void> {
    while (this.waiters.length > 0 || this.committed.length > 0) {
      const waiters = this.waiters.splice(0);
      const direct = this.direct.splice(0);
      const committed = this.committed.splice(0);
      const onCommittedError = this.onCommittedError;
      const readInbox = this.inboxWaiting;
      this.inboxWaiting = false;
      try {
        await this.drain(direct, committed, readInbox);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
        if (committed.length > 0) onCommittedError?.(err);
      }
      if (direct.length + committed.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    this.looping = false;
  }

  /**
   * `committed` rows were committed before this run began, so a read of the inbox sees them: a run
   * that reads drops its in-memory copies (chaining them twice would fail on their id).
   */
  private async drain(
    queued: AuditRowInput[],
    committed: AuditRowInput[],
    readInbox: boolean,
  ): Promise<void> {
    let pick = readInbox;
    for (let lost = 0; ;) {
      let head = this.head;
      let pending: Pending[] = committed;
      let picked = 0;
      if (pick || !head) {
        const { rows: raw } = await executePrepared<
          EventText & { next_seq: string; last_hash: string; picked: number }
        >(this.db, "enclave_audit_pick", PICK);
        const first = raw[0];
        if (!first) throw new Error("audit chain head is missing: run migrations");
        head = { nextSeq: Number(first.next_seq), lastHash: first.last_hash };
        pending = first.id !== null ? raw.map(eventFromText) : [];
        picked = first.picked;
        committed = [];
      } else if (pending.length > BATCH) {
        pending = pending.slice(0, BATCH);
      }
      const direct = queued.slice(0, BATCH);
      if (pending.length + direct.length === 0) {
        this.head = head;
        return;
      }
      const linked = linkEvents<Pending>(head, [...pending, ...direct]);
      if (
        !(await writeRun(
          this.db,
          head,
          pending.map((p) => p.id),
          linked.chained,
          linked.head,
        ))
      ) {
        // Another run moved the head first (or chained one of our committed rows from the inbox):
        // read the head and the inbox again and relink.
        this.head = null;
        pick = true;
        if (++lost >= 100) throw new Error("audit sequencer kept losing the chain head to other runs");
        continue;
      }
      this.head = linked.head;
      queued.splice(0, direct.length);
      if (!pick) committed = committed.slice(pending.length);
      // A full pick means more may be pending.
      if (picked < BATCH && queued.length === 0 && committed.length === 0) return;
      pick = pick && picked === BATCH;
    }
  }
}

const sequencers = new WeakMap<object, Sequencer>();

function sequencerOf(db: Database): Sequencer {
  let s = sequencers.get(db);
  if (!s) {
    s = new Sequencer(db);
    sequencers.set(db, s);
  }
  return s;
}

/**
 * Chains every committed-but-pending audit event; safe to call from anywhere, any time. Readers
 * of audit_events that must see what was committed before (the console's list and export,
 * verification, checkpoints) call it first: transactions return without waiting for the chain.
 */
export function flushAuditInbox(db: Database): Promise<void> {
  return sequencerOf(db).flush();
}

/**
 * The barrier for readers of audit_events: flushAuditInbox, except inside a transaction (whose own
 * events chain after its COMMIT, and whose snapshot may predate the flush anyway).
 */
export async function flushBeforeReading(db: Database): Promise<void> {
  if (is(db, PgTransaction)) return;
  await flushAuditInbox(db);
}

/**
 * Hands rows a transaction has just committed to audit_inbox to this process's sequencer, which
 * chains them in its next run without reading them back; returns at once.
 */
export function chainCommitted(db: Database, rows: AuditRowInput[], onError: (err: unknown) => void): void {
  sequencerOf(db).committedToInbox(rows, onError);
}

/**
 * Chains events that belong to no business transaction with the next sequencer run: concurrent
 * callers (a burst of denials or key failures) share one transaction and one commit.
 */
export function appendToChain(db: Database, rows: AuditRowInput[]): Promise<void> {
  return sequencerOf(db).append(rows);
}
