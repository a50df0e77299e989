export * from "./limits.ts";
export * from "./memory-limits.ts";
export * from "./redis-limits.ts";
export * from "./enforce.ts";
