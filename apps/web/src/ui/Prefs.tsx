import { type ReactNode } from "react";
import { LOCALE_NAMES, LOCALES, type Locale, useI18n } from "../i18n/i18n.tsx";
import { useTheme } from "../theme.tsx";

export function LocaleSwitcher() {
  const { locale, setLocale, t } = useI18n();
  return (
    <label className="inline-control">
      <span className="visually-hidden">{t("prefs.language")}</span>
      <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)} data-testid="locale">
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

export function ThemeToggle() {
  const { theme, setTheme } = useTheme();
  const { t } = useI18n();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="button-ghost"
      onClick={() => setTheme(next)}
      data-testid="theme"
      aria-pressed={theme === "dark"}
    >
      {theme === "dark" ? t("prefs.lightTheme") : t("prefs.darkTheme")}
    </button>
  );
}

/** The frame of the signed-out pages: product name, preferences, one card. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth">
      <header className="auth-bar">
        <span className="brand">Enclave</span>
        <span className="prefs">
          <LocaleSwitcher />
          <ThemeToggle />
        </span>
      </header>
      <main className="auth-card">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
