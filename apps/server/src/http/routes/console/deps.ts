import type { Config } from "../../../config.ts";

/** What console route plugins need besides `request.ctx`. */
export interface ConsoleRouteDeps {
  config: Config;
  csrfKey: Buffer;
}

/** Per-IP limits on the unauthenticated and credential-handling routes. */
export const AUTH_RATE_LIMIT = { max: 20, timeWindow: "1 minute" } as const;
