import { describe, expect, it } from "vitest";
import { en } from "./en.ts";
import { CATALOGUES, detectLocale, LOCALES, translate } from "./i18n.tsx";

// Values that are names, not prose: the same in every language.
const BRAND_NAMES = new Set([
  "OpenAI",
  "Anthropic",
  "Azure OpenAI",
  "AWS Bedrock",
  "HashiCorp Vault",
  "HashiCorp Vault Transit",
  "AWS Secrets Manager",
  "Elasticsearch _bulk",
]);

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("message catalogues", () => {
  const reference = Object.keys(en).sort();

  for (const locale of LOCALES) {
    it(`${locale} has exactly the English keys, each non-empty with the same placeholders`, () => {
      const catalogue = CATALOGUES[locale];
      const keys = Object.keys(catalogue).sort();
      expect(
        keys.filter((k) => !Object.hasOwn(en, k)),
        "extra keys",
      ).toEqual([]);
      expect(
        reference.filter((k) => !Object.hasOwn(catalogue, k)),
        "missing keys",
      ).toEqual([]);
      for (const key of reference) {
        const value = catalogue[key as keyof typeof en];
        expect(value.trim(), key).not.toBe("");
        expect(placeholders(value), key).toEqual(placeholders(en[key as keyof typeof en]));
      }
    });
  }

  it("translations are translations: most values differ from English", () => {
    for (const locale of ["zh-Hans", "ja"] as const) {
      const same = reference.filter(
        (k) => CATALOGUES[locale][k as keyof typeof en] === en[k as keyof typeof en],
      );
      // Only product and brand names legitimately stay as they are.
      const brands = same.filter((k) => !BRAND_NAMES.has(en[k as keyof typeof en]));
      expect(brands, locale).toEqual([]);
    }
  });
});

describe("translate", () => {
  it("fills placeholders as text and leaves unknown ones alone", () => {
    expect(translate("en", "members.roleOf", { name: "<b>x</b>" })).toBe("Role of <b>x</b>");
    expect(translate("ja", "apps.publishedVersion", { version: 3 })).toBe("公開中 v3");
    expect(translate("en", "members.roleOf")).toBe("Role of {name}");
  });
});

describe("detectLocale", () => {
  it("picks the first supported browser language", () => {
    expect(detectLocale(["zh-CN", "en"])).toBe("zh-Hans");
    expect(detectLocale(["zh-Hant-TW"])).toBe("zh-Hans");
    expect(detectLocale(["ja-JP"])).toBe("ja");
    expect(detectLocale(["fr-FR", "ja", "en"])).toBe("ja");
    expect(detectLocale(["de"])).toBe("en");
    expect(detectLocale([])).toBe("en");
  });
});
