// The webapp strings in all three languages, spread into the catalogues (en.ts, zh-hans.ts, ja.ts).
// Keys are prefixed "webapp." and must match across the three objects (i18n.test.ts checks).

export const webappEn = {} as const;

export const webappZhHans: Record<keyof typeof webappEn, string> = {};

export const webappJa: Record<keyof typeof webappEn, string> = {};
