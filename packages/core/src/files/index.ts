export * from "./file-store.ts";
export * from "./file-name.ts";
export * from "./sniff.ts";
export * from "./upload.ts";
