import type { Database, Transaction } from "@enclave/db";
import type { Ctx } from "./ctx.ts";

const openTransactions = new WeakSet<object>();
const beforeCommit = new WeakMap<object, (() => Promise<void>)[]>();
const afterCommit = new WeakMap<object, ((db: Database) => Promise<void>)[]>();

/**
 * Runs `fn` at the end of the transaction, after the verb's own work and before COMMIT; a failure
 * rolls everything back. Returns false when `tx` was not opened by withTransaction.
 */
export function onBeforeCommit(tx: object, fn: () => Promise<void>): boolean {
  const hooks = beforeCommit.get(tx);
  if (!hooks) return false;
  hooks.push(fn);
  return true;
}

/**
 * Runs `fn` with the outer database handle once the transaction has committed (not on rollback).
 * Its failure does not undo the committed work; the caller sees it. Returns false outside
 * withTransaction.
 */
export function onAfterCommit(tx: object, fn: (db: Database) => Promise<void>): boolean {
  const hooks = afterCommit.get(tx);
  if (!hooks) return false;
  hooks.push(fn);
  return true;
}

/**
 * Runs `fn` in a database transaction. If `ctx` is already inside one, `fn` joins it, so a
 * verb can call another verb and both commit or roll back together.
 */
export async function withTransaction<T>(
  ctx: Ctx,
  fn: (tx: Transaction, txCtx: Ctx) => Promise<T>,
): Promise<T> {
  if (openTransactions.has(ctx.db)) return fn(ctx.db as Transaction, ctx);
  const after: ((db: Database) => Promise<void>)[] = [];
  const result = await ctx.db.transaction(async (tx) => {
    openTransactions.add(tx);
    beforeCommit.set(tx, []);
    afterCommit.set(tx, after);
    try {
      const result = await fn(tx, { ...ctx, db: tx });
      for (const hook of beforeCommit.get(tx)!.splice(0)) await hook();
      return result;
    } finally {
      openTransactions.delete(tx);
      beforeCommit.delete(tx);
      afterCommit.delete(tx);
    }
  });
  for (const hook of after) await hook(ctx.db);
  return result;
}

export function inTransaction(ctx: Ctx): boolean {
  return openTransactions.has(ctx.db);
}
