export * from "./resolve-model.ts";
