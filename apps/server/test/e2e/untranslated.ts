// Finds English console strings left on a page shown in another language.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

type Catalogue = Record<string, string>;
export interface Catalogues {
  en: Catalogue;
  "zh-Hans": Catalogue;
  ja: Catalogue;
}

/**
 * The web app's catalogues, read as data. Loaded by file URL because server code may not import
 * web code (lint boundary); this test only compares the page's text with them.
 */
export async function loadEnglishCatalogue(root: string): Promise<Catalogues> {
  const load = async (file: string, name: string) => {
    const mod = (await import(pathToFileURL(join(root, "apps/web/src/i18n", file)).href)) as Record<
      string,
      Catalogue
    >;
    return mod[name]!;
  };
  return {
    en: await load("en.ts", "en"),
    "zh-Hans": await load("zh-hans.ts", "zhHans"),
    ja: await load("ja.ts", "ja"),
  };
}

/**
 * Every English catalogue phrase (the parts around `{placeholders}`, of at least four characters
 * with a word in them) found verbatim in `text`, skipping keys whose translation is the same
 * (brand names). An empty list means the page is fully translated.
 */
export function checkUntranslated(cats: Catalogues, browserLocale: string, text: string): string[] {
  const target = browserLocale.startsWith("zh") ? cats["zh-Hans"] : cats.ja;
  const found: string[] = [];
  for (const [key, english] of Object.entries(cats.en)) {
    if (target[key] === english) continue;
    for (const part of english.split(/\{\w+\}/)) {
      const phrase = part.trim();
      if (phrase.length >= 4 && /[A-Za-z]{3,}/.test(phrase) && text.includes(phrase))
        found.push(`${key}: ${phrase}`);
    }
  }
  return found;
}
