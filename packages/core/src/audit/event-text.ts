import { sql, type SQL } from "drizzle-orm";
import type { AuditRow, AuditRowInput } from "./chain.ts";

/**
 * Event columns as text, straight from the database: timestamps formatted by the server (UTC,
 * milliseconds, the form the hash covers), details as JSON text. Decoding Dates and jsonb per row
 * was most of the cost of reading events in bulk. `t` is the table alias.
 */
export function eventTextColumns(t: string): SQL {
  const c = sql.raw(t);
  return sql`${c}.id::text as id,
    to_char(${c}.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
    ${c}.workspace_id::text as workspace_id, ${c}.actor_type, ${c}.actor_id, ${c}.ip, ${c}.user_agent,
    ${c}.action, ${c}.target_type, ${c}.target_id, ${c}.outcome, ${c}.request_id,
    ${c}.details::text as details`;
}

export type EventText = Record<string, string | null>;

/** An event read with eventTextColumns; `createdAt` stays the ISO-8601 string the hash covers. */
export type TextEvent = Omit<AuditRowInput, "createdAt"> & { createdAt: string; detailsText: string };

export function eventFromText(r: EventText): TextEvent {
  const detailsText = r.details!;
  return {
    id: r.id!,
    createdAt: r.created_at!,
    workspaceId: r.workspace_id ?? null,
    actorType: r.actor_type as AuditRow["actorType"],
    actorId: r.actor_id ?? null,
    ip: r.ip ?? null,
    userAgent: r.user_agent ?? null,
    action: r.action!,
    targetType: r.target_type ?? null,
    targetId: r.target_id ?? null,
    outcome: r.outcome as AuditRow["outcome"],
    requestId: r.request_id ?? null,
    details: JSON.parse(detailsText) as Record<string, unknown>,
    detailsText,
  };
}
