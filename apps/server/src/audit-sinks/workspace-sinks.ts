import {
  loadWorkspaceSinks,
  startShipping,
  workspaceSinkCursorId,
  type Ctx,
  type ConsoleSecretSettings,
  type Envelope,
} from "@enclave/core";
import type { Logger } from "pino";
import { HttpSink } from "./http-sink.ts";

export interface WorkspaceSinkDeps {
  db: Ctx["db"];
  envelope: Envelope;
  /** Resolves sink headers stored as secret-store references. */
  references?: ConsoleSecretSettings;
  /** The SSRF-guarded fetch for one workspace (deployment allowlist + the workspace's own). */
  fetchFor(workspaceId: string): Promise<typeof fetch>;
  log: Logger;
  reloadMs?: number;
  idleMs?: number;
}

/**
 * Ships each console-configured sink's workspace events, re-reading the sink list every
 * `reloadMs`: a sink added, changed or removed in the console takes effect without a restart.
 */
export function startWorkspaceSinks(deps: WorkspaceSinkDeps): () => Promise<void> {
  const running = new Map<string, { version: number; stop: () => Promise<void> }>();
  let stopped = false;
  let reloading: Promise<void> = Promise.resolve();

  const reload = async () => {
    const sinks = await loadWorkspaceSinks(deps.db, deps.envelope, deps.references);
    const wanted = new Map(sinks.map((s) => [s.id, s]));
    for (const [id, r] of running) {
      if (wanted.get(id)?.updatedAt !== r.version) {
        running.delete(id);
        await r.stop();
      }
    }
    for (const s of sinks) {
      if (running.has(s.id) || stopped) continue;
      const sink = new HttpSink({
        id: workspaceSinkCursorId(s.id),
        workspaceId: s.workspaceId,
        url: s.url,
        format: s.format,
        ...(s.index ? { index: s.index } : {}),
        authorization: s.authorization,
        fetch: await deps.fetchFor(s.workspaceId),
      });
      const stop = startShipping(deps.db, [sink], deps.log, deps.idleMs ? { idleMs: deps.idleMs } : {});
      running.set(s.id, { version: s.updatedAt, stop });
    }
  };
  const tick = () => {
    reloading = reloading
      .then(reload)
      .catch((err: unknown) => deps.log.error({ err }, "could not load the workspace audit sinks"));
  };
  tick();
  const timer = setInterval(tick, deps.reloadMs ?? 30_000);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await reloading;
    await Promise.all([...running.values()].map((r) => r.stop()));
    running.clear();
  };
}
