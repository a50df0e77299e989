import { sql } from "drizzle-orm";
import { migrationStatus, queryRows, type DatabaseHandle } from "@enclave/db";
import { randomBytes } from "node:crypto";
import { workspaceDataKeys } from "@enclave/db";
import type { Config } from "../config.ts";
import { openKekRing } from "../secrets.ts";
import { verifyAuditForCli } from "./verify-audit.ts";

export interface Finding {
  level: "ok" | "warn" | "error";
  check: string;
  message: string;
}

const TRIGGERS = [
  "audit_events_no_update_delete",
  "audit_events_no_truncate",
  "audit_checkpoints_no_update_delete",
  "audit_checkpoints_no_truncate",
];

/**
 * Security self-check of a deployment: settings that weaken it, and database facts that would
 * let the application role rewrite history. `error` findings make `enclave doctor` exit 1.
 */
export async function runDoctor(
  config: Config,
  database: DatabaseHandle,
  opts: { verify?: boolean } = {},
): Promise<Finding[]> {
  const f: Finding[] = [];
  const add = (level: Finding["level"], check: string, message: string) => f.push({ level, check, message });

  for (const w of config.warnings) add("warn", "config", w);
  if (config.production) {
    if (!config.database.url)
      add("warn", "database", "production is running on the embedded PGlite database");
    if (!config.server.publicUrl?.startsWith("https://"))
      add("error", "tls", "PUBLIC_URL is not https:// — cookies would travel without Secure");
  }
  if (config.server.host === "0.0.0.0" && config.server.trustedProxies.length === 0) {
    add(
      "warn",
      "network",
      "listening on all interfaces with no TRUSTED_PROXIES: put Enclave behind a TLS proxy",
    );
  }
  const { ship } = config.audit;
  if (!ship.fileDir && !ship.syslogUrl && !ship.httpUrl) {
    add(
      "warn",
      "audit.shipping",
      "no audit sink configured: the trail and its checkpoints exist only in this database",
    );
  } else add("ok", "audit.shipping", "audit events and checkpoints are shipped off the database");
  if (config.secrets.previousSecretKey)
    add("warn", "secrets", "SECRET_KEY_PREVIOUS is still set: remove it once old sessions have expired");
  if (config.secrets.previousKek)
    add("warn", "secrets", "ENCLAVE_KEK_PREVIOUS is still set: run `enclave keys rotate`, then remove it");

  await checkKek(config, database, add);

  const [backlog] = await queryRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from audit_inbox where created_at < now() - interval '5 minutes'`,
  );
  if ((backlog?.n ?? 0) > 0)
    add(
      "warn",
      "audit.chain",
      `${backlog!.n} committed audit event(s) have waited over 5 minutes to be chained: is the database writable?`,
    );

  const status = await migrationStatus(database);
  if (status.current) add("ok", "migrations", `database schema is current (${status.applied} migrations)`);
  else
    add(
      "error",
      "migrations",
      `${status.expected - status.applied} migration(s) pending: run \`enclave migrate\``,
    );

  const triggers = await queryRows<{ tgname: string; tgenabled: string }>(
    database.db,
    sql`select tgname, tgenabled from pg_trigger where tgname in (${sql.join(
      TRIGGERS.map((t) => sql`${t}`),
      sql`, `,
    )})`,
  );
  for (const name of TRIGGERS) {
    const t = triggers.find((r) => r.tgname === name);
    if (!t) add("error", "audit.worm", `trigger ${name} is missing: the audit trail can be rewritten`);
    else if (t.tgenabled === "D") add("error", "audit.worm", `trigger ${name} is disabled`);
  }
  if (triggers.length === TRIGGERS.length && triggers.every((t) => t.tgenabled !== "D")) {
    add("ok", "audit.worm", "append-only triggers are in place");
  }

  if (database.kind === "postgres") {
    const [role] = await queryRows<{
      superuser: boolean;
      owns_audit: boolean;
      can_update: boolean;
      can_delete: boolean;
      inbox_update: boolean;
    }>(
      database.db,
      sql`select (select rolsuper from pg_roles where rolname = current_user) as superuser,
                 (select tableowner = current_user from pg_tables where tablename = 'audit_events') as owns_audit,
                 has_table_privilege(current_user, 'audit_events', 'UPDATE') as can_update,
                 has_table_privilege(current_user, 'audit_events', 'DELETE') as can_delete,
                 has_table_privilege(current_user, 'audit_inbox', 'UPDATE') as inbox_update`,
    );
    if (role?.superuser)
      add("warn", "database.role", "the runtime role is a superuser: it could disable the audit triggers");
    if (role?.owns_audit)
      add("warn", "database.role", "the runtime role owns audit_events: use a separate migration role");
    if (role?.can_update || role?.can_delete || role?.inbox_update) {
      add(
        "warn",
        "database.role",
        "the runtime role may rewrite audit rows (UPDATE/DELETE on audit_events, UPDATE on audit_inbox): apply docs/operations/database.md grants",
      );
    }
    if (
      role &&
      !role.superuser &&
      !role.owns_audit &&
      !role.can_update &&
      !role.can_delete &&
      !role.inbox_update
    ) {
      add("ok", "database.role", "the runtime role can only append to the audit trail");
    }
  }
  if (opts.verify) f.push(await verifyFinding(config, database));
  return f;
}

/** The whole trail recomputed: an error naming the first bad seq, or what was proven. */
async function verifyFinding(config: Config, database: DatabaseHandle): Promise<Finding> {
  const { report, comparedWith } = await verifyAuditForCli(config, database);
  if (!report.ok) {
    const first = report.problems[0]!;
    return {
      level: "error",
      check: "audit.verify",
      message:
        `the audit trail was tampered with: first bad seq ${report.firstBadSeq} (${first.kind}: ${first.detail}); ` +
        `${report.problems.length} problem(s), see \`enclave audit verify\``,
    };
  }
  return {
    level: "ok",
    check: "audit.verify",
    message:
      `${report.events} events and ${report.checkpointsVerified} signed checkpoint(s) verified` +
      `${comparedWith ? `, consistent with ${comparedWith}` : ""} (${report.durationMs} ms)`,
  };
}

/** The KEK must wrap and unwrap right now, and no data key should still wait for a rotation. */
async function checkKek(
  config: Config,
  database: DatabaseHandle,
  add: (level: Finding["level"], check: string, message: string) => void,
): Promise<void> {
  let ring;
  try {
    ring = openKekRing(config);
    const probe = randomBytes(32);
    const back = await ring.current.unwrap(await ring.current.wrap(probe, "doctor"), "doctor");
    if (!back.equals(probe)) throw new Error("unwrap returned a different key");
  } catch (err) {
    add(
      "error",
      "kek",
      `the key-encryption key does not work: ${err instanceof Error ? err.message : String(err)}`,
    );
    return;
  }
  add(
    "ok",
    "kek",
    `data keys are wrapped by ${ring.current.id.replace(/^local:.*/, "a local key (ENCLAVE_KEK)")}`,
  );
  const rows = await database.db.select({ kekId: workspaceDataKeys.kekId }).from(workspaceDataKeys);
  const stale = rows.filter((r) => r.kekId !== ring.current.id).length;
  if (stale > 0)
    add("warn", "kek", `${stale} data key(s) still wrapped by an older KEK: run \`enclave keys rotate\``);
}
