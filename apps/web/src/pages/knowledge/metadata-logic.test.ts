import { describe, expect, it } from "vitest";
import { COMPARISON_OPERATORS, RetrievalSettings } from "@enclave/contracts";
import {
  type FilterField,
  filterFields,
  filterProblems,
  fromLocalInput,
  incompleteConditions,
  inputValue,
  newCondition,
  operatorKey,
  operatorsFor,
  parseValue,
  storedInput,
  toLocalInput,
  valueText,
  withField,
  withOperator,
} from "./metadata-logic.ts";

const region: FilterField = { name: "region", type: "string", builtIn: false };
const pages: FilterField = { name: "pages", type: "number", builtIn: false };
const published: FilterField = { name: "published", type: "time", builtIn: false };
const uploaded: FilterField = { name: "upload_date", type: "time", builtIn: true };

describe("metadata operators per type", () => {
  it("offers text, number and time operators; built-in dates take before/after only", () => {
    expect(operatorsFor(region)).toContain("contains");
    expect(operatorsFor(region)).not.toContain(">");
    expect(operatorsFor(pages)).toEqual(expect.arrayContaining(["=", "≠", ">", "≤", "in", "empty"]));
    expect(operatorsFor(pages)).not.toContain("contains");
    expect(operatorsFor(published)).toEqual(["before", "after", "empty", "not empty"]);
    expect(operatorsFor(uploaded)).toEqual(["before", "after"]);
  });

  it("worded operators have distinct i18n keys; symbols have none", () => {
    const keys = COMPARISON_OPERATORS.map(operatorKey).filter((k) => k !== null);
    expect(new Set(keys).size).toBe(COMPARISON_OPERATORS.length - 6);
    for (const key of keys) expect(key).toMatch(/^knowledge\.op\.[a-z_]+$/);
    expect(operatorKey("≥")).toBeNull();
    expect(operatorKey("not in")).toBe("knowledge.op.not_in");
  });
});

describe("conditions", () => {
  it("changing field keeps a fitting operator and resets the value", () => {
    const c = { ...newCondition(region), comparisonOperator: "in" as const, value: ["a"] };
    expect(withField(c, pages)).toEqual({ name: "pages", comparisonOperator: "in", value: [] });
    expect(withField(c, published)).toEqual({ name: "published", comparisonOperator: "before", value: "" });
  });

  it("changing operator turns one value into a list and back, and drops it for empty", () => {
    const c = { name: "region", comparisonOperator: "is" as const, value: "north" };
    expect(withOperator(c, "in").value).toEqual(["north"]);
    expect(withOperator(withOperator(c, "in"), "is").value).toBe("north");
    expect(withOperator(c, "empty").value).toBeNull();
  });

  it("parses typed input: numbers, comma lists, local times as ISO", () => {
    expect(parseValue("number", "=", " 12.5 ")).toBe(12.5);
    expect(parseValue("number", "=", "x")).toBe("x");
    expect(parseValue("string", "in", "a, b,,c ")).toEqual(["a", "b", "c"]);
    expect(parseValue("number", "not in", "1, 2")).toEqual([1, 2]);
    expect(parseValue("string", "empty", "ignored")).toBeNull();
    const iso = parseValue("time", "before", "2026-03-01T09:30") as string;
    expect(iso).toBe(new Date(2026, 2, 1, 9, 30).toISOString());
    expect(valueText("time", iso)).toBe("2026-03-01T09:30");
    expect(valueText("string", ["a", "b"])).toBe("a, b");
  });

  it("round-trips datetime-local values through ISO", () => {
    expect(toLocalInput(fromLocalInput("2025-12-31T23:59"))).toBe("2025-12-31T23:59");
    expect(toLocalInput("not a date")).toBe("");
  });
});

describe("filters", () => {
  const fields = [region, pages, published, uploaded];

  it("reports unknown fields, wrong operators, missing and mistyped values", () => {
    const problems = filterProblems(
      {
        logicalOperator: "and",
        conditions: [
          { name: "gone", comparisonOperator: "is", value: "x" },
          { name: "upload_date", comparisonOperator: "empty", value: null },
          { name: "region", comparisonOperator: "is", value: "" },
          { name: "pages", comparisonOperator: ">", value: "many" },
          { name: "published", comparisonOperator: "after", value: "2026-01-01T00:00:00.000Z" },
          { name: "region", comparisonOperator: "in", value: [] },
          { name: "region", comparisonOperator: "not empty", value: null },
        ],
      },
      fields,
    );
    expect(problems).toEqual({
      0: "unknownField",
      1: "badOperator",
      2: "missingValue",
      3: "badValue",
      5: "missingValue",
    });
    expect(filterProblems(null, fields)).toEqual({});
  });

  it("what the builder makes is a filter the retrieval settings accept", () => {
    const list = withOperator(newCondition(region), "in");
    const conditions = [
      { ...list, value: parseValue("string", "in", "north, south") },
      { ...withOperator(newCondition(pages), "≥"), value: parseValue("number", "≥", "3") },
      withOperator(newCondition(published), "not empty"),
    ];
    const filter = { logicalOperator: "or" as const, conditions };
    expect(filterProblems(filter, fields)).toEqual({});
    expect(RetrievalSettings.parse({ metadataFilter: filter }).metadataFilter).toEqual({
      logicalOperator: "or",
      conditions: [
        { name: "region", comparisonOperator: "in", value: ["north", "south"] },
        { name: "pages", comparisonOperator: "≥", value: 3 },
        { name: "published", comparisonOperator: "not empty", value: null },
      ],
    });
  });

  it("finds conditions missing a value without knowing the fields", () => {
    const conditions = [
      { name: "a", comparisonOperator: "is" as const, value: "" },
      { name: "b", comparisonOperator: "empty" as const, value: null },
      { name: "c", comparisonOperator: "in" as const, value: [] },
      { name: "d", comparisonOperator: ">" as const, value: 0 },
    ];
    expect(incompleteConditions({ logicalOperator: "and", conditions })).toEqual([0, 2]);
    expect(incompleteConditions(null)).toEqual([]);
  });

  it("lists custom fields of every dataset once, and built-ins only where switched on", () => {
    const builtIn = [{ name: "document_name" as const, type: "string" as const }];
    const a = {
      fields: [{ id: "1", name: "region", type: "string" as const, count: 1 }],
      builtInEnabled: false,
      builtIn,
    };
    const b = {
      fields: [{ id: "2", name: "region", type: "string" as const, count: 0 }],
      builtInEnabled: true,
      builtIn,
    };
    expect(filterFields([a, undefined]).map((f) => f.name)).toEqual(["region"]);
    expect(filterFields([a, b])).toEqual([region, { name: "document_name", type: "string", builtIn: true }]);
  });
});

describe("document values", () => {
  it("shows and stores typed values; empty clears", () => {
    expect(storedInput("string", "")).toBeNull();
    expect(storedInput("number", "42")).toBe(42);
    expect(storedInput("string", "north")).toBe("north");
    expect(storedInput("time", "2026-03-01T09:30")).toBe(new Date(2026, 2, 1, 9, 30).toISOString());
    expect(inputValue("number", 42)).toBe("42");
    expect(inputValue("string", undefined)).toBe("");
  });
});
