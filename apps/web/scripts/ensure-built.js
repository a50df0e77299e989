// Builds the console (apps/web/dist) when it is missing or older than its sources, so a fresh
// `npm install && npm start` serves it and a warm start costs only a few stat calls.
// Builds into a temporary folder and swaps it in, so a running server never reads half a bundle.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const web = join(import.meta.dirname, "..");
const dist = join(web, "dist");
const SOURCES = [
  join(web, "src"),
  join(web, "index.html"),
  join(web, "vite.config.ts"),
  join(web, "package.json"),
  join(web, "..", "..", "packages", "contracts", "src"),
];

function newestMtime(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export function webBuildIsCurrent() {
  const built = statSync(join(dist, "index.html"), { throwIfNoEntry: false });
  if (!built) return false;
  return SOURCES.every((s) => newestMtime(s) <= built.mtimeMs);
}

export async function ensureWebBuilt({ force = false } = {}) {
  if (!force && webBuildIsCurrent()) return false;
  const { build } = await import("vite");
  const tmp = `${dist}.tmp-${process.pid}`;
  try {
    await build({
      configFile: join(web, "vite.config.ts"),
      logLevel: "warn",
      build: { outDir: tmp, emptyOutDir: true },
    });
    rmSync(dist, { recursive: true, force: true });
    try {
      renameSync(tmp, dist);
    } catch (err) {
      // Another process (a parallel test run) swapped in its build first: fine if it is current.
      if (!webBuildIsCurrent()) throw err;
    }
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

if (process.argv[1] === import.meta.filename) {
  const force = process.argv.includes("--force");
  const started = Date.now();
  const built = await ensureWebBuilt({ force });
  process.stdout.write(
    built ? `web console built in ${Date.now() - started} ms\n` : "web console is up to date\n",
  );
}
