import { describe, expect, it } from "vitest";
import { UpdateModelProviderInput } from "@enclave/contracts";
import { modelLines, parseModelLines } from "./ProviderEdit.tsx";

describe("provider model lines", () => {
  const existing = [
    { name: "gpt-x", type: "llm" as const, currency: "USD", inputPricePerMTok: 2 },
    { name: "embed-8", type: "text-embedding" as const, currency: "USD" },
  ];

  it("round-trips the list and keeps prices of models that stay", () => {
    expect(modelLines(existing)).toBe("gpt-x\nembed-8 text-embedding");
    const parsed = parseModelLines("gpt-x\n\n  new-model  \nembed-8 text-embedding\n", existing);
    expect(UpdateModelProviderInput.parse({ models: parsed }).models).toEqual([
      { name: "gpt-x", type: "llm", currency: "USD", inputPricePerMTok: 2 },
      { name: "new-model", type: "llm", currency: "USD" },
      { name: "embed-8", type: "text-embedding", currency: "USD" },
    ]);
  });

  it("leaves a bad type for the schema to refuse", () => {
    expect(UpdateModelProviderInput.safeParse({ models: parseModelLines("m chat", []) }).success).toBe(false);
    expect(UpdateModelProviderInput.safeParse({ models: parseModelLines("m llm extra", []) }).success).toBe(
      false,
    );
  });
});
