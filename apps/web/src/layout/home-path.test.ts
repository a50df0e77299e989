import { describe, expect, it } from "vitest";
import { homePath } from "./home-path.ts";

describe("homePath", () => {
  it("sends each role to the first page it may use", () => {
    expect(homePath("owner")).toBe("/apps");
    expect(homePath("editor")).toBe("/apps");
    expect(homePath("dataset_operator")).toBe("/knowledge");
    expect(homePath(null)).toBe("/account");
  });
});
