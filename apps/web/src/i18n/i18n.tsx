import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { en, type MessageKey } from "./en.ts";
import { ja } from "./ja.ts";
import { zhHans } from "./zh-hans.ts";

export const LOCALES = ["en", "zh-Hans", "ja"] as const;
export type Locale = (typeof LOCALES)[number];

export const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en, "zh-Hans": zhHans, ja };

/** Each locale's name in its own language, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", "zh-Hans": "中文", ja: "日本語" };

/** The first of the browser's preferred languages that we have, else English. */
export function detectLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh-Hans";
    if (lower.startsWith("ja")) return "ja";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

export type Vars = Record<string, string | number>;

/** Looks a key up in a catalogue and fills `{name}` placeholders; values are text, never markup. */
export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  const template = CATALOGUES[locale][key] ?? en[key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}

export type T = (key: MessageKey, vars?: Vars) => string;

interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t: T;
}

const I18nContext = createContext<I18n>({
  locale: "en",
  setLocale: () => {},
  t: (key, vars) => translate("en", key, vars),
});

function browserLanguages(): readonly string[] {
  return typeof navigator === "undefined"
    ? []
    : navigator.languages.length
      ? navigator.languages
      : [navigator.language];
}

// The choice lives in memory only: web code keeps nothing in browser storage (see App.test.tsx).
export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Locale }) {
  const [locale, setLocale] = useState<Locale>(() => initial ?? detectLocale(browserLanguages()));
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const t = useCallback<T>((key, vars) => translate(locale, key, vars), [locale]);
  const value = useMemo(() => ({ locale, setLocale, t }), [locale, t]);
  return <I18nContext value={value}>{children}</I18nContext>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

export function useT(): T {
  return useContext(I18nContext).t;
}
