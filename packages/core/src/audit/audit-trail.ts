import { and, desc, eq, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import { auditCheckpoints, auditEvents, systemState } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { recordAudit } from "./emit-audit.ts";
import type { AuditSettings } from "./checkpoint.ts";
import { verifyAuditLog, type VerifyReport } from "./verify.ts";
import { flushBeforeReading } from "./sequencer.ts";
import { verifierKey } from "./signed-note.ts";

export interface AuditQuery {
  action?: string | undefined;
  actorId?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  outcome?: "success" | "failure" | "denied" | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset pagination: events with seq below this. */
  beforeSeq?: number | undefined;
  limit: number;
}

function conditions(ctx: Ctx, q: Omit<AuditQuery, "limit">): SQL[] {
  const c: SQL[] = [eq(auditEvents.workspaceId, ctx.workspace!.id)];
  if (q.action) c.push(eq(auditEvents.action, q.action));
  if (q.actorId) c.push(eq(auditEvents.actorId, q.actorId));
  if (q.targetType) c.push(eq(auditEvents.targetType, q.targetType));
  if (q.targetId) c.push(eq(auditEvents.targetId, q.targetId));
  if (q.outcome) c.push(eq(auditEvents.outcome, q.outcome));
  if (q.from) c.push(gte(auditEvents.createdAt, q.from));
  if (q.to) c.push(lte(auditEvents.createdAt, q.to));
  if (q.beforeSeq !== undefined) c.push(lt(auditEvents.seq, q.beforeSeq));
  return c;
}

/** The current workspace's audit events, newest first. Owners and admins only. */
export async function listAuditEvents(ctx: Ctx, q: AuditQuery) {
  requirePermission(ctx, "audit.read");
  await flushBeforeReading(ctx.db);
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(and(...conditions(ctx, q)))
    .orderBy(desc(auditEvents.seq))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return { data: page, nextBeforeSeq: rows.length > q.limit ? page[page.length - 1]!.seq : null };
}

/**
 * Exports the workspace's events as JSON lines, plus the signed checkpoints that cover them, and
 * records the export itself in the trail.
 */
export async function exportAuditEvents(ctx: Ctx, q: Omit<AuditQuery, "limit">): Promise<string> {
  requirePermission(ctx, "audit.read");
  await flushBeforeReading(ctx.db);
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(and(...conditions(ctx, q)))
    .orderBy(auditEvents.seq);
  const checkpoints = await ctx.db.select().from(auditCheckpoints).orderBy(auditCheckpoints.size);
  await recordAudit(ctx, {
    action: "audit.export",
    details: { events: rows.length, filters: Object.keys(q) },
  });
  const lines = rows.map((r) => JSON.stringify({ type: "event", ...r }));
  for (const cp of checkpoints)
    lines.push(JSON.stringify({ type: "checkpoint", size: cp.size, rootHash: cp.rootHash, note: cp.note }));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

const VERIFICATION_KEY = "audit_verification";

/** Runs a full verification and stores the result as the "last verification" the console shows. */
export async function runAuditVerification(
  ctx: Ctx,
  settings: AuditSettings,
  externalCheckpoint?: string,
): Promise<VerifyReport> {
  const report = await verifyAuditLog(ctx.db, {
    publicKey: settings.signer.publicKey,
    keyName: settings.signer.name,
    ...(externalCheckpoint !== undefined ? { externalCheckpoint } : {}),
  });
  const value = { ...report, problems: report.problems.slice(0, 20) } as unknown as Record<string, unknown>;
  await ctx.db
    .insert(systemState)
    .values({ key: VERIFICATION_KEY, value })
    .onConflictDoUpdate({ target: systemState.key, set: { value, updatedAt: new Date() } });
  return report;
}

export async function lastAuditVerification(ctx: Ctx, settings: AuditSettings) {
  requirePermission(ctx, "audit.read");
  const [row] = await ctx.db.select().from(systemState).where(eq(systemState.key, VERIFICATION_KEY)).limit(1);
  await flushBeforeReading(ctx.db);
  const [latest] = await ctx.db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.size)).limit(1);
  const [{ n } = { n: 0 }] = await ctx.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
  return {
    lastVerification: row?.value ?? null,
    latestCheckpoint: latest
      ? { size: latest.size, note: latest.note, createdAt: latest.createdAt.toISOString() }
      : null,
    events: n,
    verifierKey: verifierKey(settings.signer),
  };
}
