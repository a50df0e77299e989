export * from "./inputs.ts";
export * from "./tasks.ts";
export * from "./generate.ts";
export * from "./send-message.ts";
export * from "./conversations.ts";
