export * from "./errors.ts";
export * from "./permissions.ts";
export * from "./jobs.ts";
export * from "./identity.ts";
export * from "./models.ts";
export * from "./apps.ts";
export * from "./app-logs.ts";
export * from "./audit-sinks.ts";
