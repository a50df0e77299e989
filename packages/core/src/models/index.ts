export * from "./resolve-model.ts";
export * from "./providers.ts";
export * from "./allowlist.ts";
export * from "./allowlist-entry.ts";
export * from "./test-connection.ts";
export * from "./provider-errors.ts";
