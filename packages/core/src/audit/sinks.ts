import { and, asc, eq, inArray } from "drizzle-orm";
import { CreateAuditSinkInput, UpdateAuditSinkInput, type AuditSinkView } from "@enclave/contracts";
import { auditSinkCursors, auditSinks, type Database } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import type { Envelope } from "../crypto/envelope.ts";
import { AppError } from "../errors/app-error.ts";
import { requireUser } from "../identity/actor.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { emitAudit } from "./emit-audit.ts";
import {
  consoleSecretMask,
  resolveStoredSecret,
  type ConsoleSecretSettings,
} from "../secrets/console-references.ts";

type SinkRow = typeof auditSinks.$inferSelect;

/** Cursor name of a console-configured sink in audit_sink_cursors. */
export const workspaceSinkCursorId = (sinkId: string) => `workspace-sink:${sinkId}`;
/** The envelope field a sink's Authorization header is bound to. */
export const auditSinkAuthField = (sinkId: string) => `audit_sink:${sinkId}:authorization`;
const authField = auditSinkAuthField;

function envelopeOf(ctx: Ctx): Envelope {
  if (!ctx.services.envelope) throw new Error("envelope encryption is not configured");
  return ctx.services.envelope;
}

function view(row: SinkRow, shippedSeq: number): AuditSinkView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    format: row.format,
    index: row.index,
    authorization: row.authorizationMask,
    enabled: row.enabled,
    shippedSeq,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function withCursors(db: Database, rows: SinkRow[]): Promise<AuditSinkView[]> {
  if (rows.length === 0) return [];
  const cursors = await db
    .select()
    .from(auditSinkCursors)
    .where(
      inArray(
        auditSinkCursors.sinkId,
        rows.map((r) => workspaceSinkCursorId(r.id)),
      ),
    );
  const seq = new Map(cursors.map((c) => [c.sinkId, c.shippedSeq]));
  return rows.map((r) => view(r, seq.get(workspaceSinkCursorId(r.id)) ?? -1));
}

/** The workspace's own SIEM sinks (owner/admin). */
export async function listAuditSinks(ctx: Ctx): Promise<AuditSinkView[]> {
  requirePermission(ctx, "workspace.update");
  const rows = await ctx.db
    .select()
    .from(auditSinks)
    .where(eq(auditSinks.workspaceId, ctx.workspace!.id))
    .orderBy(asc(auditSinks.createdAt));
  return withCursors(ctx.db, rows);
}

/** Adds a sink that will receive this workspace's audit events from now on (and its history). */
export async function createAuditSink(ctx: Ctx, raw: CreateAuditSinkInput): Promise<AuditSinkView> {
  requirePermission(ctx, "workspace.update");
  const input = CreateAuditSinkInput.parse(raw);
  const actor = requireUser(ctx);
  const workspaceId = ctx.workspace!.id;
  // Checked before anything is written: a reference outside the workspace's paths is a 400.
  const mask = input.authorization
    ? consoleSecretMask(input.authorization, "authorization", workspaceId, ctx.services.secrets)
    : null;
  return withTransaction(ctx, async (tx, txCtx) => {
    const [row] = await tx
      .insert(auditSinks)
      .values({
        workspaceId,
        name: input.name,
        url: input.url,
        format: input.format,
        index: input.index ?? null,
        enabled: input.enabled,
        createdBy: actor.accountId,
      })
      .returning();
    let stored = row!;
    if (input.authorization) {
      const [updated] = await tx
        .update(auditSinks)
        .set({
          authorizationEnc: await envelopeOf(ctx).encrypt(
            workspaceId,
            authField(row!.id),
            input.authorization,
            tx,
          ),
          authorizationMask: mask,
        })
        .where(eq(auditSinks.id, row!.id))
        .returning();
      stored = updated!;
    }
    await emitAudit(tx, txCtx, {
      action: "audit.sink.create",
      target: { type: "audit_sink", id: stored.id },
      details: {
        host: new URL(stored.url).host,
        format: stored.format,
        withAuthorization: !!input.authorization,
      },
    });
    return view(stored, -1);
  });
}

export async function updateAuditSink(
  ctx: Ctx,
  id: string,
  raw: UpdateAuditSinkInput,
): Promise<AuditSinkView> {
  requirePermission(ctx, "workspace.update");
  const input = UpdateAuditSinkInput.parse(raw);
  const workspaceId = ctx.workspace!.id;
  const updated = await withTransaction(ctx, async (tx, txCtx) => {
    const [current] = await tx
      .select()
      .from(auditSinks)
      .where(and(eq(auditSinks.id, id), eq(auditSinks.workspaceId, workspaceId)))
      .for("update");
    if (!current) throw new AppError("not_found", "audit sink not found");
    const { authorization, ...plain } = input;
    const secret =
      authorization === undefined
        ? {}
        : authorization === null
          ? { authorizationEnc: null, authorizationMask: null }
          : {
              authorizationEnc: await envelopeOf(ctx).encrypt(workspaceId, authField(id), authorization, tx),
              authorizationMask: consoleSecretMask(
                authorization,
                "authorization",
                workspaceId,
                ctx.services.secrets,
              ),
            };
    const [row] = await tx
      .update(auditSinks)
      .set({ ...plain, ...secret })
      .where(eq(auditSinks.id, id))
      .returning();
    await emitAudit(tx, txCtx, {
      action: "audit.sink.update",
      target: { type: "audit_sink", id },
      details: {
        changed: Object.keys(input),
        ...(input.url ? { host: new URL(input.url).host } : {}),
        ...(input.enabled === false ? { disabled: true } : {}),
      },
    });
    return row!;
  });
  return (await withCursors(ctx.db, [updated]))[0]!;
}

export async function deleteAuditSink(ctx: Ctx, id: string): Promise<void> {
  requirePermission(ctx, "workspace.update");
  await withTransaction(ctx, async (tx, txCtx) => {
    const [row] = await tx
      .delete(auditSinks)
      .where(and(eq(auditSinks.id, id), eq(auditSinks.workspaceId, ctx.workspace!.id)))
      .returning({ id: auditSinks.id, url: auditSinks.url });
    if (!row) throw new AppError("not_found", "audit sink not found");
    await tx.delete(auditSinkCursors).where(eq(auditSinkCursors.sinkId, workspaceSinkCursorId(id)));
    await emitAudit(tx, txCtx, {
      action: "audit.sink.delete",
      target: { type: "audit_sink", id },
      details: { host: new URL(row.url).host },
    });
  });
}

/** A console sink as the shipper needs it: its settings, and how to read its header when sending. */
export interface WorkspaceSinkConfig {
  id: string;
  workspaceId: string;
  url: string;
  format: "generic" | "elasticsearch";
  index: string | null;
  /** Version stamp: the shipper restarts a sink whose settings changed. */
  updatedAt: number;
  authorization: () => Promise<string | undefined>;
}

/**
 * Every enabled console sink, for the worker's shipper (system use, no actor). A header stored as a
 * secret-store reference is resolved at send time through `references` (cached, so rotation applies).
 */
export async function loadWorkspaceSinks(
  db: Database,
  envelope: Envelope,
  references?: ConsoleSecretSettings,
): Promise<WorkspaceSinkConfig[]> {
  const rows = await db.select().from(auditSinks).where(eq(auditSinks.enabled, true));
  return rows.map((row) => ({
    id: row.id,
    workspaceId: row.workspaceId,
    url: row.url,
    format: row.format,
    index: row.index,
    updatedAt: row.updatedAt.getTime(),
    // Read at send time, so a header rotated in the console applies to the next batch.
    authorization: async () => {
      const [current] = await db
        .select({ enc: auditSinks.authorizationEnc })
        .from(auditSinks)
        .where(eq(auditSinks.id, row.id));
      if (!current?.enc) return undefined;
      const stored = await envelope.decrypt(row.workspaceId, authField(row.id), current.enc);
      return resolveStoredSecret(stored, references);
    },
  }));
}
