import type { Transaction } from "@enclave/db";
import type { Ctx } from "./ctx.ts";

const openTransactions = new WeakSet<object>();
const beforeCommit = new WeakMap<object, (() => Promise<void>)[]>();

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
 * Runs `fn` in a database transaction. If `ctx` is already inside one, `fn` joins it, so a
 * verb can call another verb and both commit or roll back together.
 */
export async function withTransaction<T>(
  ctx: Ctx,
  fn: (tx: Transaction, txCtx: Ctx) => Promise<T>,
): Promise<T> {
  if (openTransactions.has(ctx.db)) return fn(ctx.db as Transaction, ctx);
  return ctx.db.transaction(async (tx) => {
    openTransactions.add(tx);
    beforeCommit.set(tx, []);
    try {
      const result = await fn(tx, { ...ctx, db: tx });
      for (const hook of beforeCommit.get(tx)!.splice(0)) await hook();
      return result;
    } finally {
      openTransactions.delete(tx);
      beforeCommit.delete(tx);
    }
  });
}

export function inTransaction(ctx: Ctx): boolean {
  return openTransactions.has(ctx.db);
}
