export * from "./api-keys.ts";
export * from "./serving.ts";
