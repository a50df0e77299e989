// Full-text preparation for PostgreSQL's 'simple' configuration. Its parser splits on spaces and
// punctuation, which leaves Chinese and Japanese as one "word" per sentence; so scripts written
// without spaces are cut into words with Intl.Segmenter (ICU dictionaries) here, and everything
// becomes lowercase, NFKC-normalised, space-separated tokens of letters, marks and digits only.
// Index and query pass through the same function, so their tokens agree.

// Runs of scripts written without spaces between words.
const UNSPACED_RUN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u30fc\u3005\u3006\u303b]+/gu;
const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
const HANGUL = /\p{Script=Hangul}/u;
const THAI = /\p{Script=Thai}/u;
const LAO = /\p{Script=Lao}/u;
const KHMER = /\p{Script=Khmer}/u;
const MYANMAR = /\p{Script=Myanmar}/u;

/** PostgreSQL refuses lexemes over 2047 bytes; longer runs of letters are blobs, not words. */
const MAX_TOKEN_CHARS = 200;
/** A Han-only run is read as Japanese when kana occur this close to it. */
const KANA_WINDOW = 32;
/** Most terms a query contributes (bounds the tsquery). */
export const MAX_QUERY_TERMS = 64;

const segmenters = new Map<string, Intl.Segmenter>();

/** Text for `to_tsvector('simple', …)`: lowercase tokens separated by single spaces. */
export function segmentForIndex(text: string): string {
  const out: string[] = [];
  forEachToken(text, (t) => out.push(t));
  return out.join(" ");
}

/**
 * The distinct terms of a search query, in order, for a tsquery. Terms hold only letters, marks
 * and digits (no tsquery operators or quotes); punctuation-only input gives none.
 */
export function segmentQuery(query: string): string[] {
  const seen = new Set<string>();
  forEachToken(query, (t) => {
    if (seen.size < MAX_QUERY_TERMS) seen.add(t);
  });
  return [...seen];
}

function forEachToken(text: string, emit: (token: string) => void): void {
  const s = text.normalize("NFKC").toLowerCase();
  let last = 0;
  UNSPACED_RUN.lastIndex = 0;
  for (let m = UNSPACED_RUN.exec(s); m; m = UNSPACED_RUN.exec(s)) {
    if (m.index > last) spacedTokens(s.slice(last, m.index), emit);
    const locale = localeOf(m[0], s, m.index);
    for (const seg of segmenter(locale).segment(m[0])) {
      if (seg.isWordLike) spacedTokens(seg.segment, emit);
    }
    last = m.index + m[0].length;
  }
  if (last < s.length) spacedTokens(s.slice(last), emit);
}

function spacedTokens(text: string, emit: (token: string) => void): void {
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    if (m[0].length <= MAX_TOKEN_CHARS) emit(m[0]);
  }
}

function localeOf(run: string, text: string, at: number): string {
  if (KANA.test(run)) return "ja";
  if (HANGUL.test(run)) return "ko";
  if (THAI.test(run)) return "th";
  if (LAO.test(run)) return "lo";
  if (KHMER.test(run)) return "km";
  if (MYANMAR.test(run)) return "my";
  const around = text.slice(Math.max(0, at - KANA_WINDOW), at + run.length + KANA_WINDOW);
  return KANA.test(around) ? "ja" : "zh";
}

function segmenter(locale: string): Intl.Segmenter {
  let seg = segmenters.get(locale);
  if (!seg) {
    seg = new Intl.Segmenter(locale, { granularity: "word" });
    segmenters.set(locale, seg);
  }
  return seg;
}
