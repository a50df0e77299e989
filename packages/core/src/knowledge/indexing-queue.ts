import type { Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { onAfterCommit } from "../context/transaction.ts";

/**
 * Queues indexing of a document once the transaction that created it commits (a job must never
 * see a document that then rolls back). No queue (some tests, one-shot CLI): nothing is queued and
 * the document stays `waiting` until something runs it.
 */
export async function enqueueIndexing(
  tx: Transaction,
  ctx: Ctx,
  workspaceId: string,
  documentId: string,
): Promise<void> {
  const queue = ctx.services.queue;
  if (!queue) return;
  const send = async () => {
    await queue.enqueue(
      "knowledge.index_document",
      { workspaceId, documentId },
      { attempts: 3, backoffMs: 2000 },
    );
  };
  if (!onAfterCommit(tx, send)) await send();
}
