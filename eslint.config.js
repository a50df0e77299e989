// Lint: typescript-eslint, import boundaries between packages, and config read in one place.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const internal = ["contracts", "db", "core", "server", "web"];

// Outbound HTTP goes through core/net's guarded client (SSRF policy); no other client may creep in.
const HTTP_CLIENTS = [
  "http",
  "https",
  "node:http",
  "node:https",
  "undici",
  "axios",
  "node-fetch",
  "got",
  "superagent",
].map((name) => ({ name, message: "outbound HTTP must use createGuardedFetch from core/net (SSRF guard)" }));

/** Bans importing the listed workspace packages, by name or by relative path. */
function onlyImports(allowed, paths = []) {
  const banned = internal.filter((p) => !allowed.includes(p));
  return {
    "no-restricted-imports": [
      "error",
      {
        paths,
        patterns: [
          ...banned.map((p) => ({
            group: [`@enclave/${p}`, `@enclave/${p}/*`],
            message: `this package may import only: ${allowed.map((a) => `@enclave/${a}`).join(", ") || "nothing internal"} (see ARCHITECTURE.md)`,
          })),
          {
            group: ["**/packages/*/src/**", "**/apps/*/src/**", "../../packages/**", "../../apps/**"],
            message: "import other workspace packages by their @enclave/* name, not by path",
          },
        ],
      },
    ],
  };
}

const processEnvBan = {
  "no-restricted-syntax": [
    "error",
    {
      selector: "MemberExpression[object.name='process'][property.name='env']",
      message: "read configuration only in apps/server/src/config.ts and pass it in",
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "data/**",
      "coverage/**",
      "packages/db/migrations/**",
      ".test-artifacts/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
      eqeqeq: ["error", "always"],
    },
  },
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
  { files: ["**/*.{ts,tsx}"], rules: processEnvBan },
  { files: ["packages/contracts/**"], rules: onlyImports([]) },
  { files: ["packages/db/**"], rules: onlyImports(["contracts"]) },
  { files: ["packages/core/**"], rules: onlyImports(["contracts", "db"], HTTP_CLIENTS) },
  { files: ["apps/server/**"], rules: onlyImports(["contracts", "db", "core"], HTTP_CLIENTS) },
  {
    files: ["packages/core/src/**", "apps/server/src/**"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "fetch", message: "outbound HTTP must use createGuardedFetch from core/net (SSRF guard)" },
      ],
    },
  },
  // The guarded client itself, and tests that stand up local servers.
  { files: ["packages/core/src/net/**"], rules: onlyImports(["contracts", "db"]) },
  {
    files: ["**/*.test.ts", "apps/server/test/**", "packages/*/test/**"],
    rules: { "no-restricted-globals": "off" },
  },
  { files: ["packages/core/**/*.test.ts", "packages/core/test/**"], rules: onlyImports(["contracts", "db"]) },
  {
    files: ["apps/server/**/*.test.ts", "apps/server/test/**"],
    rules: onlyImports(["contracts", "db", "core"]),
  },
  { files: ["apps/web/**"], rules: onlyImports(["contracts"]) },
  {
    // The one place that reads the environment, and test set-up that chooses databases.
    files: [
      "apps/server/src/config.ts",
      "**/*.test.ts",
      "**/*.test.tsx",
      "packages/*/test/**",
      "apps/*/test/**",
      "vitest.config.ts",
      "bench/**",
    ],
    rules: { "no-restricted-syntax": "off" },
  },
  { files: ["**/*.test.ts", "**/*.test.tsx", "**/test/**", "bench/**"], rules: { "no-console": "off" } },
);
