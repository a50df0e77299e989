// The editor strings in all three languages, spread into the catalogues (en.ts, zh-hans.ts, ja.ts).
// Keys are prefixed "editor." and must match across the three objects (i18n.test.ts checks).

export const editorEn = {} as const;

export const editorZhHans: Record<keyof typeof editorEn, string> = {};

export const editorJa: Record<keyof typeof editorEn, string> = {};
