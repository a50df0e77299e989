import { describe, expect, it } from "vitest";
import { AppConfig, type UserInputField } from "@enclave/contracts";
import {
  missingVariables,
  moveField,
  newField,
  promptVariables,
  removeAt,
  updateField,
  validateConfig,
  withControl,
} from "./editor-state.ts";

const base = AppConfig.parse({});
const text = (variable: string): UserInputField => ({
  "text-input": { label: variable, variable, required: false, max_length: 256 },
});

describe("prompt variables", () => {
  it("finds each {{variable}} once, in order, with spaces allowed inside the braces", () => {
    expect(promptVariables("Hi {{ name }}, about {{topic}} and {{name}}; {{1bad}} {{a b}} {x}")).toEqual([
      "name",
      "topic",
    ]);
    expect(promptVariables("")).toEqual([]);
  });

  it("lists the ones the form does not provide", () => {
    expect(missingVariables("{{city}} in {{tone}} style", [text("city")])).toEqual(["tone"]);
    expect(missingVariables("{{city}}", [text("city")])).toEqual([]);
  });
});

describe("form builder", () => {
  it("adds controls with free names and keeps label, variable and required across kinds", () => {
    const first = newField("text-input", []);
    expect(first).toEqual(text("var_1"));
    const form = [first, newField("select", [first])];
    expect(form[1]).toEqual({ select: { label: "var_2", variable: "var_2", required: false, options: [] } });
    expect(newField("number", form, "var_1")).toMatchObject({ number: { variable: "var_3" } });
    expect(newField("paragraph", form, "topic")).toEqual({
      paragraph: { label: "topic", variable: "topic", required: false },
    });
    const required = updateField(first, { required: true, default: "x" });
    expect(withControl(required, "number")).toEqual({
      number: { label: "var_1", variable: "var_1", required: true },
    });
  });

  it("updates settings and drops cleared optional ones", () => {
    const f = updateField(text("a"), { default: "hello", max_length: 10 });
    expect(f).toEqual({
      "text-input": { label: "a", variable: "a", required: false, max_length: 10, default: "hello" },
    });
    expect(updateField(f, { default: undefined })).toEqual({
      "text-input": { label: "a", variable: "a", required: false, max_length: 10 },
    });
  });

  it("reorders within bounds and deletes", () => {
    const list = ["a", "b", "c"];
    expect(moveField(list, 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveField(list, 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveField(list, 0, -1)).toEqual(list);
    expect(moveField(list, 2, 1)).toEqual(list);
    expect(removeAt(list, 1)).toEqual(["a", "c"]);
    expect(list).toEqual(["a", "b", "c"]);
  });
});

describe("validation with the contracts schema", () => {
  it("accepts a good form", () => {
    const result = validateConfig({ ...base, userInputForm: [text("city")] });
    expect("config" in result && result.config.userInputForm).toHaveLength(1);
  });

  it("refuses a metadata filter condition that lacks its value", () => {
    const datasets = {
      ...base.datasets,
      retrieval: {
        ...base.datasets.retrieval,
        metadataFilter: {
          logicalOperator: "and" as const,
          conditions: [
            { name: "region", comparisonOperator: "is" as const, value: "north" },
            { name: "pages", comparisonOperator: ">" as const, value: "" },
          ],
        },
      },
    };
    expect(validateConfig({ ...base, datasets })).toEqual({
      errors: { "datasets.retrieval.metadataFilter.conditions.1": "knowledge.problem.missingValue" },
    });
  });

  it("names the control and setting of each problem", () => {
    const result = validateConfig({
      ...base,
      userInputForm: [
        text("1bad"),
        text("ok"),
        text("ok"),
        { select: { label: "S", variable: "s", required: false, options: [] } },
        { select: { label: "T", variable: "t", required: false, options: ["a"], default: "b" } },
        { number: { label: "N", variable: "n", required: false, min: 3, max: 1 } },
        { "text-input": { label: " ", variable: "l", required: false, max_length: 256 } },
      ],
      openingStatement: "x".repeat(10_001),
    });
    expect("errors" in result && result.errors).toEqual({
      "form.0.variable": "editor.form.variableInvalid",
      "form.2.variable": "editor.form.duplicate",
      "form.3.options": "editor.form.optionsRequired",
      "form.4.default": "editor.form.defaultNotOption",
      "form.5.max": "editor.form.maxBelowMin",
      "form.6.label": "validation.required",
      openingStatement: "validation.tooLong",
    });
  });
});
