import type { AuditRow } from "../chain.ts";

// ECS `event.category` by action family (https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values-event-category.html).
const CATEGORY: [RegExp, string[]][] = [
  [/^auth\.(login|logout|mfa|session)|^mfa\./, ["authentication", "session"]],
  [/^auth\.permission/, ["iam"]],
  [/^(member|workspace\.transfer_ownership|account)\./, ["iam"]],
  [/^(workspace|setup)\./, ["configuration"]],
  [/^audit\./, ["database"]],
];

/** One audit event as an Elastic Common Schema document: what SIEMs index without a mapping. */
export function toEcs(row: AuditRow): Record<string, unknown> {
  const category = CATEGORY.find(([re]) => re.test(row.action))?.[1] ?? ["configuration"];
  const doc: Record<string, unknown> = {
    "@timestamp": row.createdAt.toISOString(),
    ecs: { version: "8.11.0" },
    event: {
      id: row.id,
      kind: "event",
      action: row.action,
      outcome: row.outcome === "denied" ? "failure" : row.outcome,
      category,
      sequence: row.seq,
      hash: row.leafHash,
    },
    service: { name: "enclave" },
    enclave: {
      seq: row.seq,
      prev_hash: row.prevHash,
      leaf_hash: row.leafHash,
      outcome: row.outcome,
      workspace_id: row.workspaceId,
      actor: { type: row.actorType, id: row.actorId },
      target: row.targetType ? { type: row.targetType, id: row.targetId } : null,
      details: row.details,
    },
  };
  if (row.actorType === "user" && row.actorId) doc.user = { id: row.actorId };
  if (row.ip) doc.source = { ip: row.ip };
  if (row.userAgent) doc.user_agent = { original: row.userAgent };
  if (row.requestId) doc.http = { request: { id: row.requestId } };
  return doc;
}
