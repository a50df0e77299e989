#!/usr/bin/env node
// The `enclave` command: start | serve | worker | migrate | version | config-docs.
import { readFileSync } from "node:fs";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import type { ProcessKind } from "../server.ts";
import type { DatabaseHandle } from "@enclave/db";
import { configReference } from "../config/variables.ts";
import { syncConfigDocs } from "../config/docs.ts";

const USAGE = `Usage: enclave <command>

Commands:
  start      API server and background worker in one process (what \`npm start\` runs)
  serve      API server only
  worker     background worker only
  migrate    apply pending database migrations and exit
  audit verify [--from-checkpoint FILE] [--json]
             verify the audit trail's hash chain and signed checkpoints (and the newest
             checkpoint shipped to AUDIT_SHIP_FILE_DIR when no FILE is given);
             exits 1 and names the first bad seq if it was tampered with
  audit checkpoint
             sign a checkpoint over the audit events now, and print it
  audit public-key
             print the checkpoint verifier key (give it to whoever keeps checkpoints)
  keys rotate
             rewrap every workspace data key under the current KEK (ENCLAVE_KEK with
             ENCLAVE_KEK_PREVIOUS still set, or the newest Vault Transit key version);
             online, no downtime
  keys rotate-data
             give every workspace a new data key and re-encrypt every stored secret
             (provider credentials, sink headers) under it; online, no downtime
  doctor [--verify]
             check this deployment's security settings and database grants (with
             --verify, also the whole audit trail, as \`audit verify\` does);
             exits 1 when something is wrong
  version    print the version
  config-docs [--write FILE | --check FILE]
             print the configuration reference (or update / check it in FILE)

Configuration comes from environment variables; see README.md.`;

const EXIT_USAGE = 2;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function fail(message: string, code = 1): never {
  process.stderr.write(`enclave: ${message}\n`);
  process.exit(code);
}

/** Parses the environment and fetches any `vault:` references; exits with the problems if invalid. */
async function readConfig(): Promise<Config> {
  try {
    const { withResolvedSecrets } = await import("../secrets.ts");
    return (await withResolvedSecrets(loadConfig())).config;
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** Opens the configured database for a one-shot command, and closes it however the command ends. */
async function withCliDatabase(
  config: Config,
  fn: (database: DatabaseHandle) => Promise<void>,
): Promise<void> {
  const { openDatabase } = await import("@enclave/db");
  const database = await openDatabase({
    url: config.database.url,
    dataDir: config.dataDir,
    poolMax: 2,
    caFile: config.database.caFile,
  });
  try {
    await fn(database);
  } finally {
    // Events the command's transactions committed are chained before it exits (best effort:
    // they are durable in audit_inbox either way).
    const { flushAuditInbox } = await import("@enclave/core");
    await flushAuditInbox(database.db).catch(() => {});
    await database.close();
  }
}

async function run(command: ProcessKind): Promise<void> {
  const config = await readConfig();
  // Loaded here, not at the top, so `version` and usage errors answer instantly.
  const { runProcess } = await import("../server.ts");
  await runProcess(command, config);
}

async function migrate(): Promise<void> {
  const config = await readConfig();
  const { migrateDatabase } = await import("@enclave/db");
  await withCliDatabase(config, async (database) => {
    const { applied } = await migrateDatabase(database);
    process.stdout.write(applied > 0 ? `applied ${applied} migration(s)\n` : "database is up to date\n");
  });
}

async function audit(args: string[]): Promise<void> {
  const [sub, ...flags] = args;
  if (sub !== "verify" && sub !== "checkpoint" && sub !== "public-key") fail(USAGE, EXIT_USAGE);
  const config = await readConfig();
  const core = await import("@enclave/core");
  const { openAuditSettings } = await import("../secrets.ts");
  const settings = await openAuditSettings(config);
  if (sub === "public-key") {
    process.stdout.write(`${core.verifierKey(settings.signer)}\n`);
    return;
  }
  let checkpointFile: string | undefined;
  let json = false;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === "--from-checkpoint" && flags[i + 1]) checkpointFile = flags[++i];
    else if (flags[i] === "--json") json = true;
    else fail(`unknown option ${flags[i]}\n\n${USAGE}`, EXIT_USAGE);
  }
  await withCliDatabase(config, async (database) => {
    if (sub === "checkpoint") {
      const cp = await core.createCheckpoint(database.db, settings);
      process.stdout.write(cp ? cp.note : "no new audit events since the last checkpoint\n");
      return;
    }
    const { verifyAuditForCli } = await import("./verify-audit.ts");
    const { report, comparedWith } = await verifyAuditForCli(config, database, checkpointFile);
    if (comparedWith && !checkpointFile) process.stderr.write(`comparing with ${comparedWith}\n`);
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (report.ok) {
      process.stdout.write(
        `audit trail OK: ${report.events} events, ${report.checkpointsVerified} signed checkpoint(s) verified` +
          `${report.externalCheckpoint ? `, consistent with the external checkpoint at size ${report.externalCheckpoint.size}` : ""}` +
          ` (${report.durationMs} ms)\n`,
      );
    } else {
      process.stdout.write(`AUDIT TRAIL TAMPERED: first bad seq ${report.firstBadSeq}\n`);
      for (const p of report.problems) process.stdout.write(`  seq ${p.seq}: ${p.kind} — ${p.detail}\n`);
    }
    if (!report.ok) process.exitCode = 1;
  });
}

async function keys(args: string[]): Promise<void> {
  if (args.length !== 1 || (args[0] !== "rotate" && args[0] !== "rotate-data")) fail(USAGE, EXIT_USAGE);
  const config = await readConfig();
  if (args[0] === "rotate-data") return rotateData(config);
  const { openKekRing } = await import("../secrets.ts");
  const ring = openKekRing(config);
  if (ring.previous.length === 0 && config.secrets.kekProvider === "local")
    fail("set ENCLAVE_KEK_PREVIOUS to the key being rotated out (and ENCLAVE_KEK to the new one)");
  const core = await import("@enclave/core");
  await withCliDatabase(config, async (database) => {
    const rewrapped = await new core.Envelope(database.db, ring).rewrapAll();
    const { createLogger } = await import("../http/logger.ts");
    const ctx = core.systemCtx(
      { db: database.db, log: createLogger("warn"), services: {} },
      "keys-rotate",
      "cli",
    );
    await core.withTransaction(ctx, (tx, c) =>
      core.emitAudit(tx, c, {
        action: "keys.kek.rotate",
        details: { rewrapped, kek: ring.current.id, previous: ring.previous.map((k) => k.id) },
      }),
    );
    process.stdout.write(
      `rewrapped ${rewrapped} data key(s) under ${ring.current.id}` +
        (ring.previous.length > 0 ? "; the previous local key(s) can now be removed\n" : "\n"),
    );
  });
}

async function rotateData(config: Config): Promise<void> {
  const { openKekRing } = await import("../secrets.ts");
  const core = await import("@enclave/core");
  await withCliDatabase(config, async (database) => {
    const result = await core.rotateDataKeys(
      database.db,
      new core.Envelope(database.db, openKekRing(config)),
    );
    const { createLogger } = await import("../http/logger.ts");
    const ctx = core.systemCtx(
      { db: database.db, log: createLogger("warn"), services: {} },
      "keys-rotate",
      "cli",
    );
    await core.withTransaction(ctx, (tx, c) =>
      core.emitAudit(tx, c, { action: "keys.data_keys.rotate", details: { ...result } }),
    );
    process.stdout.write(
      `new data keys for ${result.workspaces} workspace(s); re-encrypted ${result.reencrypted} field(s)\n`,
    );
  });
}

async function doctor(args: string[]): Promise<void> {
  const verify = args[0] === "--verify";
  if (args.length > (verify ? 1 : 0)) fail(`unknown option ${args[0]}\n\n${USAGE}`, EXIT_USAGE);
  const config = await readConfig();
  const { runDoctor } = await import("./doctor.ts");
  await withCliDatabase(config, async (database) => {
    const findings = await runDoctor(config, database, { verify });
    for (const x of findings)
      process.stdout.write(`${x.level.toUpperCase().padEnd(5)} ${x.check}: ${x.message}\n`);
    if (findings.some((x) => x.level === "error")) process.exitCode = 1;
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
    case "serve":
    case "worker":
      if (rest.length > 0) fail(`unexpected argument ${rest[0]}\n\n${USAGE}`, EXIT_USAGE);
      return run(command);
    case "migrate":
      return migrate();
    case "audit":
      return audit(rest);
    case "keys":
      return keys(rest);
    case "doctor":
      return doctor(rest);
    case "version":
    case "--version":
      process.stdout.write(`${version()}\n`);
      return;
    case "config-docs": {
      const [flag, file] = rest;
      if (flag === undefined) {
        process.stdout.write(`${configReference()}\n`);
        return;
      }
      if ((flag !== "--write" && flag !== "--check") || !file) fail(USAGE, EXIT_USAGE);
      const changed = syncConfigDocs(file, flag === "--write");
      if (changed === null) fail(`${file} has no config:start … config:end section`);
      if (flag === "--check" && changed) fail(`${file} is out of date: run npm run docs:config`);
      return;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      if (command === undefined) process.exit(EXIT_USAGE);
      return;
    default:
      fail(`unknown command "${command}"\n\n${USAGE}`, EXIT_USAGE);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`enclave: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
