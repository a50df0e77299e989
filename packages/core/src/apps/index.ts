export * from "./api-keys.ts";
export * from "./serving.ts";
export * from "./apps.ts";
export * from "./versions.ts";
export * from "./log-access.ts";
export * from "./logs.ts";
export * from "./usage.ts";
export * from "./retention.ts";
