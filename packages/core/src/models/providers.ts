import { and, asc, eq } from "drizzle-orm";
import {
  CreateModelProviderInput,
  UpdateModelProviderInput,
  type ModelProviderView,
} from "@enclave/contracts";
import { hasSqlState, modelProviders, type Transaction } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { onAfterCommit, withTransaction } from "../context/transaction.ts";
import { emitAudit } from "../audit/emit-audit.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import {
  asCreateInput,
  credentialsField,
  parseCredentials,
  SECRET_FIELDS,
  splitInput,
  toView,
  type Credentials,
  type ProviderRow,
} from "./provider-config.ts";
import { forgetProvider } from "./provider-cache.ts";

const MAX_PROVIDERS = 100;

function envelopeOf(ctx: Ctx) {
  const envelope = ctx.services.envelope;
  if (!envelope) throw new Error("the envelope service is not configured");
  return envelope;
}

/** Credentials in a base URL would be stored in clear (the contract's own check misses them). */
function refuseUserinfo(baseUrl: unknown): void {
  if (typeof baseUrl !== "string") return;
  const url = new URL(baseUrl);
  if (url.username || url.password) {
    throw new AppError(
      "validation_failed",
      "credentials in the base URL are not allowed: use the key fields",
    );
  }
}

const nameTaken = () => new AppError("conflict", "a model provider with this name already exists");

async function nameInUse(tx: Transaction, workspaceId: string, name: string, exceptId?: string) {
  const rows = await tx
    .select({ id: modelProviders.id })
    .from(modelProviders)
    .where(and(eq(modelProviders.workspaceId, workspaceId), eq(modelProviders.name, name)))
    .limit(1);
  return rows.some((r) => r.id !== exceptId);
}

/** What an audit row may say about a provider: never a secret, not even a mask. */
function auditDetails(view: ModelProviderView, extra: Record<string, unknown> = {}) {
  return {
    name: view.name,
    kind: view.kind,
    baseUrl: view.baseUrl,
    models: view.models.map((m) => m.name),
    ...extra,
  };
}

/** Configures a model provider for the workspace; its secrets are stored encrypted only. */
export async function createModelProvider(
  ctx: Ctx,
  raw: CreateModelProviderInput,
): Promise<ModelProviderView> {
  requirePermission(ctx, "model_provider.manage");
  const input = CreateModelProviderInput.parse(raw);
  refuseUserinfo(input.baseUrl);
  const workspaceId = ctx.workspace!.id;
  const { settings, credentials, masks } = splitInput(input, workspaceId, ctx.services.secrets);
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      if (await nameInUse(tx, workspaceId, input.name)) throw nameTaken();
      const count = await tx
        .select({ id: modelProviders.id })
        .from(modelProviders)
        .where(eq(modelProviders.workspaceId, workspaceId))
        .limit(MAX_PROVIDERS);
      if (count.length >= MAX_PROVIDERS)
        throw new AppError("validation_failed", `at most ${MAX_PROVIDERS} model providers per workspace`);
      const id = crypto.randomUUID();
      const credentialsEnc = await envelopeOf(ctx).encrypt(
        workspaceId,
        credentialsField(id),
        JSON.stringify(credentials),
        tx,
      );
      const [row] = await tx
        .insert(modelProviders)
        .values({
          id,
          workspaceId,
          kind: input.kind,
          name: input.name,
          settings,
          credentialsEnc,
          credentialsMask: masks,
          createdBy: ctx.actor.type === "user" ? ctx.actor.accountId : null,
        })
        .returning();
      const view = toView(row!);
      await emitAudit(tx, txCtx, {
        action: "model_provider.create",
        target: { type: "model_provider", id },
        details: auditDetails(view),
      });
      return view;
    });
  } catch (err) {
    if (hasSqlState(err, "23505")) throw nameTaken();
    throw err;
  }
}

/** The workspace's model providers (secrets masked). */
export async function listModelProviders(ctx: Ctx): Promise<ModelProviderView[]> {
  requirePermission(ctx, "model_provider.read");
  const rows = await ctx.db
    .select()
    .from(modelProviders)
    .where(eq(modelProviders.workspaceId, ctx.workspace!.id))
    .orderBy(asc(modelProviders.createdAt), asc(modelProviders.name));
  return rows.map(toView);
}

async function loadRow(db: Ctx["db"], workspaceId: string, id: string): Promise<ProviderRow> {
  const [row] = await db
    .select()
    .from(modelProviders)
    .where(and(eq(modelProviders.id, id), eq(modelProviders.workspaceId, workspaceId)))
    .limit(1);
  if (!row) throw new AppError("not_found", "model provider not found");
  return row;
}

/** One model provider of the workspace (secrets masked); 404 for another workspace's id. */
export async function getModelProvider(ctx: Ctx, id: string): Promise<ModelProviderView> {
  requirePermission(ctx, "model_provider.read");
  return toView(await loadRow(ctx.db, ctx.workspace!.id, id));
}

// Fields that decide where the secrets are sent: changing one requires re-entering the secrets,
// so an admin who cannot read a key cannot redirect it to a server of their own.
const DESTINATION_FIELDS = ["baseUrl", "region"] as const;

/** Changes a provider's settings and/or secrets; secrets not given are kept. `kind` never changes. */
export async function updateModelProvider(
  ctx: Ctx,
  id: string,
  raw: UpdateModelProviderInput,
): Promise<ModelProviderView> {
  requirePermission(ctx, "model_provider.manage");
  const patch = UpdateModelProviderInput.parse(raw);
  const workspaceId = ctx.workspace!.id;
  const envelope = envelopeOf(ctx);
  try {
    return await withTransaction(ctx, async (tx, txCtx) => {
      const row = await loadRow(tx, workspaceId, id);
      const field = credentialsField(row.id);
      // Credentials that no longer decrypt (a lost key) can be replaced, never silently dropped.
      const current = await envelope
        .decrypt(workspaceId, field, row.credentialsEnc, tx)
        .then(parseCredentials)
        .catch((err: unknown) => {
          if (SECRET_FIELDS.some((f) => patch[f] !== undefined)) return {} as Credentials;
          ctx.log.error({ err, providerId: row.id }, "model provider credentials do not decrypt");
          throw new AppError(
            "validation_failed",
            "the stored credentials cannot be read: send them again with this change",
          );
        });
      const before = asCreateInput(row, current);
      const moved = DESTINATION_FIELDS.some((f) => patch[f] !== undefined && patch[f] !== before[f]);
      const secretsGiven = Object.keys(current).every(
        (k) => patch[k as keyof Credentials] !== undefined || k === "sessionToken",
      );
      if (moved && Object.keys(current).length > 0 && !secretsGiven) {
        throw new AppError(
          "validation_failed",
          "re-enter the provider's secret credentials when changing where it sends them (base URL or region)",
        );
      }
      // Validated as a whole provider of its kind: fields foreign to the kind are refused.
      const merged = CreateModelProviderInput.safeParse({ ...before, ...patch });
      if (!merged.success) {
        throw new AppError(
          "validation_failed",
          "request is invalid",
          merged.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
        );
      }
      refuseUserinfo(merged.data.baseUrl);
      if (patch.name && patch.name !== row.name && (await nameInUse(tx, workspaceId, patch.name, row.id)))
        throw nameTaken();
      const { settings, credentials, masks } = splitInput(merged.data, workspaceId, ctx.services.secrets);
      const secretsChanged = JSON.stringify(credentials) !== JSON.stringify(current);
      const [updated] = await tx
        .update(modelProviders)
        .set({
          name: merged.data.name,
          settings,
          ...(secretsChanged
            ? {
                credentialsEnc: await envelope.encrypt(workspaceId, field, JSON.stringify(credentials), tx),
                credentialsMask: masks,
              }
            : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(modelProviders.id, row.id), eq(modelProviders.workspaceId, workspaceId)))
        .returning();
      const view = toView(updated!);
      await emitAudit(tx, txCtx, {
        action: "model_provider.update",
        target: { type: "model_provider", id: row.id },
        details: auditDetails(view, {
          changed: Object.keys(patch).sort(),
          secretsChanged,
        }),
      });
      forgetAfterCommit(tx, row.id);
      return view;
    });
  } catch (err) {
    if (hasSqlState(err, "23505")) throw nameTaken();
    throw err;
  }
}

/** Removes a provider; apps that use it answer `provider_not_initialize` from then on. */
export async function deleteModelProvider(ctx: Ctx, id: string): Promise<void> {
  requirePermission(ctx, "model_provider.manage");
  const workspaceId = ctx.workspace!.id;
  await withTransaction(ctx, async (tx, txCtx) => {
    const [row] = await tx
      .delete(modelProviders)
      .where(and(eq(modelProviders.id, id), eq(modelProviders.workspaceId, workspaceId)))
      .returning();
    if (!row) throw new AppError("not_found", "model provider not found");
    await emitAudit(tx, txCtx, {
      action: "model_provider.delete",
      target: { type: "model_provider", id: row.id },
      details: auditDetails(toView(row)),
    });
    forgetAfterCommit(tx, row.id);
  });
}

function forgetAfterCommit(tx: object, providerId: string): void {
  forgetProvider(providerId);
  onAfterCommit(tx, async () => forgetProvider(providerId));
}

/**
 * The id of the ctx workspace's provider named `ref` (or whose id is `ref`), for APIs that name
 * providers the way Dify does (`reranking_provider_name`); null when there is none. Another
 * workspace's providers are never found.
 */
export async function findProviderId(ctx: Ctx, ref: string): Promise<string | null> {
  const workspaceId = ctx.workspace?.id;
  if (!workspaceId || !ref) return null;
  const rows = await ctx.db
    .select({ id: modelProviders.id, name: modelProviders.name })
    .from(modelProviders)
    .where(eq(modelProviders.workspaceId, workspaceId));
  return (rows.find((r) => r.id === ref) ?? rows.find((r) => r.name === ref))?.id ?? null;
}
