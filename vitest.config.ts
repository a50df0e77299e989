import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["apps/server/**/*.test.ts", "packages/**/*.test.ts", "apps/web/src/**/*.test.{ts,tsx}"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: ["packages/db/test/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
