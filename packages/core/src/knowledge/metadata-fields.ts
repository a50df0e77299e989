import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { BUILTIN_METADATA, type MetadataType } from "@enclave/contracts";
import { datasetMetadataFields, datasets, documents } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { actingAccount, loadDataset } from "./dataset-access.ts";

export interface MetadataFieldView {
  id: string;
  name: string;
  type: MetadataType;
}

/** Dify's built-in fields and their types (filterable on every document). */
export const BUILTIN_METADATA_FIELDS: { name: (typeof BUILTIN_METADATA)[number]; type: MetadataType }[] = [
  { name: "document_name", type: "string" },
  { name: "uploader", type: "string" },
  { name: "upload_date", type: "time" },
  { name: "last_update_date", type: "time" },
  { name: "source", type: "string" },
];

const view = (r: typeof datasetMetadataFields.$inferSelect): MetadataFieldView => ({
  id: r.id,
  name: r.name,
  type: r.type,
});

function refuseBuiltInName(name: string): void {
  if ((BUILTIN_METADATA as readonly string[]).includes(name)) {
    throw new AppError("validation_failed", `${name} is a built-in field`);
  }
}

async function nameTaken(db: Ctx["db"], datasetId: string, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: datasetMetadataFields.id })
    .from(datasetMetadataFields)
    .where(and(eq(datasetMetadataFields.datasetId, datasetId), eq(datasetMetadataFields.name, name)))
    .limit(1);
  return row !== undefined;
}

export async function createMetadataField(
  ctx: Ctx,
  datasetId: string,
  input: { name: string; type: MetadataType },
): Promise<MetadataFieldView> {
  refuseBuiltInName(input.name);
  return withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    if (await nameTaken(tx, dataset.id, input.name)) {
      throw new AppError("conflict", "a metadata field of that name exists");
    }
    const [row] = await tx
      .insert(datasetMetadataFields)
      .values({
        workspaceId: dataset.workspaceId,
        datasetId: dataset.id,
        name: input.name,
        type: input.type,
        createdBy: actingAccount(txCtx),
      })
      .returning();
    await emitAudit(tx, txCtx, {
      action: "dataset.metadata.create",
      target: { type: "dataset_metadata", id: row!.id },
      details: { datasetId: dataset.id, name: input.name, type: input.type },
    });
    return view(row!);
  });
}

/** The dataset's fields with how many documents have a value for each, and the built-in switch. */
export async function listMetadataFields(
  ctx: Ctx,
  datasetId: string,
): Promise<{ fields: (MetadataFieldView & { count: number })[]; builtInEnabled: boolean }> {
  const dataset = await loadDataset(ctx.db, ctx, datasetId);
  const rows = await ctx.db
    .select()
    .from(datasetMetadataFields)
    .where(eq(datasetMetadataFields.datasetId, dataset.id))
    .orderBy(asc(datasetMetadataFields.createdAt), asc(datasetMetadataFields.name));
  const counts = await ctx.db
    .select({ name: sql<string>`k`, n: sql<number>`count(*)::int` })
    .from(sql`${documents}, jsonb_object_keys(${documents.metadata}) as k`)
    .where(eq(documents.datasetId, dataset.id))
    .groupBy(sql`k`);
  const byName = new Map(counts.map((c) => [c.name, c.n]));
  return {
    fields: rows.map((r) => ({ ...view(r), count: byName.get(r.name) ?? 0 })),
    builtInEnabled: dataset.builtInMetadataEnabled,
  };
}

/** The dataset's custom fields by name (to describe document values); the caller has loaded the dataset. */
export async function metadataFieldsByName(
  ctx: Ctx,
  datasetId: string,
): Promise<Map<string, MetadataFieldView>> {
  if (!ctx.workspace) return new Map();
  const rows = await ctx.db
    .select()
    .from(datasetMetadataFields)
    .where(
      and(
        eq(datasetMetadataFields.datasetId, datasetId),
        eq(datasetMetadataFields.workspaceId, ctx.workspace.id),
      ),
    );
  return new Map(rows.map((r) => [r.name, view(r)]));
}

async function loadField(tx: Ctx["db"], datasetId: string, fieldId: string) {
  const [row] = await tx
    .select()
    .from(datasetMetadataFields)
    .where(and(eq(datasetMetadataFields.id, fieldId), eq(datasetMetadataFields.datasetId, datasetId)))
    .for("update");
  if (!row) throw new AppError("not_found", "metadata field not found");
  return row;
}

/** Renames a field and moves every document's value to the new name, in one transaction. */
export async function renameMetadataField(
  ctx: Ctx,
  datasetId: string,
  fieldId: string,
  name: string,
): Promise<MetadataFieldView> {
  refuseBuiltInName(name);
  return withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    const field = await loadField(tx, dataset.id, fieldId);
    if (field.name === name) return view(field);
    if (await nameTaken(tx, dataset.id, name))
      throw new AppError("conflict", "a metadata field of that name exists");
    const [row] = await tx
      .update(datasetMetadataFields)
      .set({ name })
      .where(eq(datasetMetadataFields.id, field.id))
      .returning();
    await tx
      .update(documents)
      .set({
        metadata: sql`(${documents.metadata} - ${field.name}::text) || jsonb_build_object(${name}::text, ${documents.metadata} -> ${field.name}::text)`,
      })
      .where(and(eq(documents.datasetId, dataset.id), sql`${documents.metadata} ? ${field.name}`));
    await emitAudit(tx, txCtx, {
      action: "dataset.metadata.rename",
      target: { type: "dataset_metadata", id: field.id },
      details: { datasetId: dataset.id, from: field.name, to: name },
    });
    return view(row!);
  });
}

/** Deletes a field and its values on every document. */
export async function deleteMetadataField(ctx: Ctx, datasetId: string, fieldId: string): Promise<void> {
  await withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    const field = await loadField(tx, dataset.id, fieldId);
    await tx.delete(datasetMetadataFields).where(eq(datasetMetadataFields.id, field.id));
    await tx
      .update(documents)
      .set({ metadata: sql`${documents.metadata} - ${field.name}::text` })
      .where(and(eq(documents.datasetId, dataset.id), sql`${documents.metadata} ? ${field.name}`));
    await emitAudit(tx, txCtx, {
      action: "dataset.metadata.delete",
      target: { type: "dataset_metadata", id: field.id },
      details: { datasetId: dataset.id, name: field.name },
    });
  });
}

export async function setBuiltInMetadata(ctx: Ctx, datasetId: string, enabled: boolean): Promise<void> {
  await withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    if (dataset.builtInMetadataEnabled === enabled) return;
    await tx.update(datasets).set({ builtInMetadataEnabled: enabled }).where(eq(datasets.id, dataset.id));
    await emitAudit(tx, txCtx, {
      action: enabled ? "dataset.metadata.built_in_enable" : "dataset.metadata.built_in_disable",
      target: { type: "dataset", id: dataset.id },
    });
  });
}

export interface DocumentMetadataOperation {
  documentId: string;
  values: { fieldId: string; name: string; value: string | number | null | undefined }[];
  partialUpdate: boolean;
}

/** A value as stored for its field's type; a value of the wrong type is a 400. */
function storedValue(type: MetadataType, name: string, value: string | number): string | number {
  if (type === "string") {
    if (typeof value !== "string") throw new AppError("validation_failed", `${name} takes text`);
    return value;
  }
  if (type === "number") {
    const n = typeof value === "number" ? value : /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isFinite(n)) throw new AppError("validation_failed", `${name} takes a number`);
    return n;
  }
  // Times: Unix seconds (Dify) or an ISO date, kept as ISO in UTC so text order is time order.
  const ms = typeof value === "number" ? value * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) throw new AppError("validation_failed", `${name} takes a time`);
  return new Date(ms).toISOString();
}

/**
 * A document's free-form `{name: value}` metadata (create and update), with every value of a
 * declared field checked and stored as its type stores it; undeclared names stay as given.
 */
export async function typedMetadata(
  db: Ctx["db"],
  datasetId: string,
  values: Record<string, string | number>,
): Promise<Record<string, string | number>> {
  const names = Object.keys(values);
  if (names.length === 0) return values;
  const fields = await db
    .select({ name: datasetMetadataFields.name, type: datasetMetadataFields.type })
    .from(datasetMetadataFields)
    .where(and(eq(datasetMetadataFields.datasetId, datasetId), inArray(datasetMetadataFields.name, names)));
  const out = { ...values };
  for (const f of fields) out[f.name] = storedValue(f.type, f.name, values[f.name]!);
  return out;
}

/**
 * Sets custom metadata values on documents of one dataset (Dify's documents/metadata): every
 * document and field must belong to the dataset and every value fit its field's type, or
 * nothing is written. `partialUpdate: false` replaces the document's values with the given ones.
 */
export async function setDocumentsMetadata(
  ctx: Ctx,
  datasetId: string,
  operations: DocumentMetadataOperation[],
): Promise<void> {
  await withTransaction(ctx, async (tx, txCtx) => {
    const dataset = await loadDataset(tx, txCtx, datasetId, { manage: true, forUpdate: true });
    const fields = await tx
      .select()
      .from(datasetMetadataFields)
      .where(eq(datasetMetadataFields.datasetId, dataset.id));
    const byId = new Map(fields.map((f) => [f.id, f]));
    const ids = [...new Set(operations.map((o) => o.documentId))];
    if (ids.length !== operations.length) {
      throw new AppError("validation_failed", "each document may appear once");
    }
    const docs = await tx
      .select({ id: documents.id, metadata: documents.metadata })
      .from(documents)
      .where(and(eq(documents.datasetId, dataset.id), inArray(documents.id, ids)))
      .for("update");
    if (docs.length !== ids.length) throw new AppError("not_found", "document not found");
    const current = new Map(docs.map((d) => [d.id, d.metadata]));
    for (const op of operations) {
      const next: Record<string, string | number> = op.partialUpdate ? { ...current.get(op.documentId) } : {};
      for (const v of op.values) {
        const field = byId.get(v.fieldId);
        if (!field) throw new AppError("not_found", "metadata field not found");
        if (field.name !== v.name)
          throw new AppError("validation_failed", `field ${v.fieldId} is named ${field.name}`);
        if (v.value === null || v.value === undefined) delete next[field.name];
        else next[field.name] = storedValue(field.type, field.name, v.value);
      }
      await tx.update(documents).set({ metadata: next }).where(eq(documents.id, op.documentId));
    }
    await emitAudit(tx, txCtx, {
      action: "dataset.document.metadata",
      target: { type: "dataset", id: dataset.id },
      details: {
        documents: operations.map((o) => ({ id: o.documentId, fields: o.values.map((v) => v.name) })),
      },
    });
  });
}
