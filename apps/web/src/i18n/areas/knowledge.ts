// The knowledge strings in all three languages, spread into the catalogues (en.ts, zh-hans.ts, ja.ts).
// Keys are prefixed "knowledge." and must match across the three objects (i18n.test.ts checks).

export const knowledgeEn = {} as const;

export const knowledgeZhHans: Record<keyof typeof knowledgeEn, string> = {};

export const knowledgeJa: Record<keyof typeof knowledgeEn, string> = {};
