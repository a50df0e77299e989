// Vitest global setup: migrate once, then every test file clones the result.
import { writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openPglite, openPostgres } from "../src/client.ts";
import { migrateDatabase } from "../src/migrate.ts";
import { adminQuery, withDatabase } from "./harness.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const snapshotPath = join(tmpdir(), `enclave-pglite-${tag}.tar.gz`);
  const pglite = await openPglite();
  await migrateDatabase(pglite);
  const dump = await pglite.client.dumpDataDir("gzip");
  await writeFile(snapshotPath, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();
  project.provide("enclavePgliteSnapshot", snapshotPath);

  const pgUrl = process.env.TEST_DATABASE_URL;
  let template: string | null = null;
  if (pgUrl) {
    template = `enclave_tpl_${tag}`;
    await adminQuery(pgUrl, `CREATE DATABASE "${template}"`);
    const handle = await openPostgres({ url: withDatabase(pgUrl, template), poolMax: 1 });
    try {
      await migrateDatabase(handle);
    } finally {
      await handle.close();
    }
  }
  project.provide("enclavePgTemplate", template);

  return async () => {
    await rm(snapshotPath, { force: true });
    if (pgUrl && template) await adminQuery(pgUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  };
}
