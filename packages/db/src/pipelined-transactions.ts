import pg from "pg";

/**
 * Fewer round trips per transaction on node-postgres, without changing what a transaction means.
 *
 * Drizzle runs a transaction as BEGIN, the statements, COMMIT — one round trip each, and on a
 * small machine the round trips (two system calls and a backend wake-up each) cost more than the
 * statements. A pool client wrapped here:
 * - holds BEGIN back and sends it in front of the transaction's first statement, in the same
 *   write and under the same Sync: if BEGIN failed the statement would not run at all;
 * - holds back an execution of a *deferrable* statement (see `executeDeferred`) and sends it in
 *   front of COMMIT, again under one Sync, so an error in it skips the COMMIT and leaves the
 *   transaction aborted; the caller sees that error from COMMIT and Drizzle rolls back;
 * - sends nothing for a transaction that ran no statement.
 * A COMMIT the server answers with ROLLBACK (the transaction had already failed) is an error
 * here, where a plain COMMIT would pass it off as success.
 *
 * BEGIN and COMMIT travel as unnamed statements. node-postgres books every ParseComplete against
 * the query's own name, so a named statement that this connection has not parsed yet gets no BEGIN
 * in front of it (BEGIN goes alone, once per statement and connection): a failed first Parse of
 * it must not leave it booked as parsed.
 */

const deferrableNames = new Set<string>();

/** Registers a prepared statement's name as deferrable; see executeDeferred in client.ts. */
export function markDeferrable(name: string): void {
  deferrableNames.add(name);
}

interface Connection {
  parse(q: { name?: string; text: string }): void;
  bind(c: { portal?: string; statement?: string }): void;
  execute(c: { portal?: string; rows?: number }): void;
  sync(): void;
  parsedStatements: Record<string, string>;
}

interface QueryInternals {
  queryMode?: string;
  portal: string;
  name?: string;
  callback?: (err: Error | null, res?: unknown) => void;
  prepare(connection: Connection): void;
  handleCommandComplete(msg: { text?: string }, connection: Connection): void;
  handleReadyForQuery(connection: Connection): void;
  handleError(err: Error, connection: Connection): void;
}

const QueryBase = pg.Query as unknown as new (config: unknown, values?: unknown) => QueryInternals;

/** One statement with BEGIN bound in front of it and/or COMMIT behind it, under one Sync. */
class TransactionStepQuery extends QueryBase {
  private completions = 0;
  private commitTag: string | undefined;
  private failed = false;
  private readonly withBegin: boolean;
  private readonly withCommit: boolean;

  /** The statement itself is COMMIT: its tag is checked like a trailing one. */
  private readonly isCommit: boolean;

  constructor(config: unknown, values: unknown, withBegin: boolean, withCommit: boolean) {
    super(config, values);
    this.withBegin = withBegin;
    this.withCommit = withCommit;
    this.isCommit = textOf(config) === "commit";
    this.queryMode = "extended";
  }

  override prepare(connection: Connection): void {
    if (this.withBegin) {
      connection.parse({ text: "begin" });
      connection.bind({});
      connection.execute({});
    }
    super.prepare(connection);
  }

  /** Called by prepare() to finish the pipeline (this query never reads in pages). */
  _getRows(connection: Connection, rows?: number): void {
    connection.execute({ portal: this.portal, ...(rows ? { rows } : {}) });
    if (this.withCommit) {
      connection.parse({ text: "commit" });
      connection.bind({});
      connection.execute({});
    }
    connection.sync();
  }

  override handleCommandComplete(msg: { text?: string }, connection: Connection): void {
    const index = this.completions++;
    const main = this.withBegin ? 1 : 0;
    if (index < main) return;
    if (index > main) {
      this.commitTag = msg.text;
      return;
    }
    if (this.isCommit) this.commitTag = msg.text;
    super.handleCommandComplete(msg, connection);
  }

  override handleError(err: Error, connection: Connection): void {
    this.failed = true;
    super.handleError(err, connection);
  }

  override handleReadyForQuery(connection: Connection): void {
    if ((this.withCommit || this.isCommit) && !this.failed && this.commitTag !== "COMMIT") {
      const err = Object.assign(new Error("the transaction had failed and was rolled back, not committed"), {
        code: "25P02",
      });
      this.failed = true;
      super.handleError(err, connection);
      return;
    }
    super.handleReadyForQuery(connection);
  }
}

type QueryFn = (config: unknown, values?: unknown, callback?: unknown) => unknown;

function emptyResult(command: string) {
  return { command, rowCount: 0, oid: 0, rows: [], fields: [] };
}

function textOf(config: unknown): string | undefined {
  if (typeof config === "string") return config;
  if (config && typeof config === "object" && typeof (config as { text?: unknown }).text === "string") {
    return (config as { text: string }).text;
  }
  return undefined;
}

const resets = new WeakMap<object, () => void>();

/** Forgets any transaction state (call when the pool hands the client out). */
export function resetPipelinedClient(client: pg.PoolClient): void {
  resets.get(client)?.();
}

/** Wraps a freshly connected pool client (call from the pool's "connect" event). */
export function pipelineTransactions(client: pg.PoolClient): void {
  const original = client.query.bind(client) as QueryFn;
  let inTransaction = false;
  let beginHeld = false;
  let held: { config: unknown; values: unknown } | null = null;

  const parsed = (client as unknown as { connection: Connection }).connection.parsedStatements;
  const step = (config: unknown, values: unknown, withBegin: boolean, withCommit: boolean) =>
    new Promise((resolve, reject) => {
      const q = new TransactionStepQuery(config, values, withBegin, withCommit);
      q.callback = (err, res) => (err ? reject(err) : resolve(res));
      original(q);
    });
  /** `config` with BEGIN in front and/or COMMIT behind, in one round trip where that is safe. */
  const send = (
    config: unknown,
    values: unknown,
    withBegin: boolean,
    withCommit: boolean,
  ): Promise<unknown> => {
    const name = (config as { name?: unknown }).name;
    if (withBegin && typeof name === "string" && name !== "" && parsed[name] === undefined) {
      return step("begin", undefined, false, false).then(() => send(config, values, false, withCommit));
    }
    if (!withBegin && !withCommit) return original(config, values) as Promise<unknown>;
    return step(config, values, withBegin, withCommit);
  };

  const wrapped = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    const text = textOf(config);
    const plain =
      text === undefined ||
      typeof values === "function" ||
      typeof callback === "function" ||
      typeof (config as { submit?: unknown }).submit === "function";
    if (plain) return original(config, values, callback);
    if (/^\s*begin\b/i.test(text)) {
      inTransaction = true;
      if (text === "begin") {
        beginHeld = true;
        return Promise.resolve(emptyResult("BEGIN"));
      }
      return original(config, values);
    }
    if (text === "commit" || text === "rollback") {
      const wasHeld = beginHeld;
      const statement = held;
      inTransaction = false;
      beginHeld = false;
      held = null;
      // Nothing reached the server: there is no transaction to end.
      if (wasHeld && (statement === null || text === "rollback")) {
        return Promise.resolve(emptyResult(text.toUpperCase()));
      }
      if (text === "commit" && statement) return send(statement.config, statement.values, wasHeld, true);
      // A COMMIT the server turns into ROLLBACK fails here too.
      if (text === "commit") return step(config, values, false, false);
      return original(config, values);
    }
    const name = (config as { name?: unknown }).name;
    if (inTransaction && held === null && typeof name === "string" && deferrableNames.has(name)) {
      held = { config, values };
      return Promise.resolve(emptyResult("DEFERRED"));
    }
    if (held) {
      // A statement after a deferred one: send that one first, then this.
      const statement = held;
      const wasHeld = beginHeld;
      held = null;
      beginHeld = false;
      return send(statement.config, statement.values, wasHeld, false).then(() => original(config, values));
    }
    if (beginHeld) {
      beginHeld = false;
      return send(config, values, true, false);
    }
    return original(config, values);
  };
  client.query = wrapped as typeof client.query;
  resets.set(client, () => {
    inTransaction = false;
    beginHeld = false;
    held = null;
  });
}
