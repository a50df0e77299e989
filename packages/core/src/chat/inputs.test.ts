import { describe, expect, it } from "vitest";
import type { UserInputField } from "@enclave/contracts";
import { renderTemplate, validateInputs } from "./inputs.ts";

const form: UserInputField[] = [
  { "text-input": { label: "City", variable: "city", required: true, max_length: 5 } },
  {
    select: {
      label: "Tone",
      variable: "tone",
      required: false,
      options: ["formal", "casual"],
      default: "formal",
    },
  },
  { number: { label: "Days", variable: "days", required: false, min: 1, max: 7 } },
  { paragraph: { label: "Notes", variable: "notes", required: false } },
];

describe("validateInputs", () => {
  it("fills defaults, coerces numbers and drops unknown keys", () => {
    expect(validateInputs(form, { city: "Kyoto", days: "3", extra: "x" })).toEqual({
      city: "Kyoto",
      tone: "formal",
      days: 3,
    });
  });

  it("refuses missing required, bad options, too long and out-of-range values, naming the variable", () => {
    expect(() => validateInputs(form, {})).toThrow(/city/);
    expect(() => validateInputs(form, { city: "Osaka!" })).toThrow(/at most 5/);
    expect(() => validateInputs(form, { city: "Kyoto", tone: "angry" })).toThrow(/tone/);
    expect(() => validateInputs(form, { city: "Kyoto", days: 9 })).toThrow(/at most 7/);
    expect(() => validateInputs(form, { city: "Kyoto", days: "many" })).toThrow(/number/);
    expect(() => validateInputs(form, { city: { $gt: "" } })).toThrow(/string/);
  });

  it("counts characters, not UTF-16 units, for max_length", () => {
    expect(validateInputs(form, { city: "東京都🗼x" }).city).toBe("東京都🗼x");
  });
});

describe("renderTemplate", () => {
  it("fills placeholders and leaves injected placeholders literal", () => {
    expect(
      renderTemplate("Weather in {{ city }} for {{days}} days{{missing}}.", { city: "{{days}}", days: 2 }),
    ).toBe("Weather in {{days}} for 2 days.");
  });
});
