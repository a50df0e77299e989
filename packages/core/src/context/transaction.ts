import type { Transaction } from "@enclave/db";
import type { Ctx } from "./ctx.ts";

const openTransactions = new WeakSet<object>();

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
    try {
      return await fn(tx, { ...ctx, db: tx });
    } finally {
      openTransactions.delete(tx);
    }
  });
}

export function inTransaction(ctx: Ctx): boolean {
  return openTransactions.has(ctx.db);
}
