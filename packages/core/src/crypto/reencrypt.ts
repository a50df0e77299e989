import { and, eq, isNotNull } from "drizzle-orm";
import { auditSinks, modelProviders, workspaceDataKeys, type Database } from "@enclave/db";
import { credentialsField } from "../models/provider-config.ts";
import { auditSinkAuthField } from "../audit/sinks.ts";
import type { Envelope } from "./envelope.ts";

/**
 * Every envelope-encrypted column, with the field name its ciphertexts are bound to. A new
 * encrypted column must be listed here, or data-key rotation would leave it under a retired key.
 */
const ENCRYPTED_COLUMNS = [
  {
    name: "model_providers.credentials_enc",
    async rows(db: Database, workspaceId: string) {
      return db
        .select({ id: modelProviders.id, value: modelProviders.credentialsEnc })
        .from(modelProviders)
        .where(eq(modelProviders.workspaceId, workspaceId));
    },
    field: (id: string) => credentialsField(id),
    async swap(db: Database, id: string, from: string, to: string) {
      const done = await db
        .update(modelProviders)
        .set({ credentialsEnc: to })
        .where(and(eq(modelProviders.id, id), eq(modelProviders.credentialsEnc, from)))
        .returning({ id: modelProviders.id });
      return done.length > 0;
    },
  },
  {
    name: "audit_sinks.authorization_enc",
    async rows(db: Database, workspaceId: string) {
      const rows = await db
        .select({ id: auditSinks.id, value: auditSinks.authorizationEnc })
        .from(auditSinks)
        .where(and(eq(auditSinks.workspaceId, workspaceId), isNotNull(auditSinks.authorizationEnc)));
      return rows as { id: string; value: string }[];
    },
    field: auditSinkAuthField,
    async swap(db: Database, id: string, from: string, to: string) {
      const done = await db
        .update(auditSinks)
        .set({ authorizationEnc: to })
        .where(and(eq(auditSinks.id, id), eq(auditSinks.authorizationEnc, from)))
        .returning({ id: auditSinks.id });
      return done.length > 0;
    },
  },
];

export interface DataKeyRotation {
  workspaces: number;
  reencrypted: number;
}

/**
 * Gives every workspace a fresh data key and re-encrypts every secret field under it, online:
 * the old key is only retired (it still decrypts), and each field is swapped only if nobody
 * changed it meanwhile (a concurrent edit already wrote it under the new key). Run it to limit
 * how much one leaked data key exposes, e.g. after a KEK compromise.
 */
export async function rotateDataKeys(db: Database, envelope: Envelope): Promise<DataKeyRotation> {
  const workspaces = await db
    .selectDistinct({ id: workspaceDataKeys.workspaceId })
    .from(workspaceDataKeys)
    .where(eq(workspaceDataKeys.status, "active"));
  let reencrypted = 0;
  for (const { id: workspaceId } of workspaces) {
    await envelope.rotateDataKey(workspaceId);
    // A write that encrypted under the old key just before the rotation can land after our read
    // and make the swap miss: passes repeat until every field is under the new key.
    for (let pass = 0, left = 1; left > 0; pass++) {
      if (pass === 5)
        throw new Error(`fields of workspace ${workspaceId} keep changing: run the rotation again`);
      left = 0;
      for (const column of ENCRYPTED_COLUMNS) {
        for (const row of await column.rows(db, workspaceId)) {
          if (await envelope.isUnderActiveKey(workspaceId, row.value)) continue;
          const field = column.field(row.id);
          const next = await envelope.encrypt(
            workspaceId,
            field,
            await envelope.decrypt(workspaceId, field, row.value),
          );
          if (await column.swap(db, row.id, row.value, next)) reencrypted++;
          else left++;
        }
      }
    }
  }
  return { workspaces: workspaces.length, reencrypted };
}
