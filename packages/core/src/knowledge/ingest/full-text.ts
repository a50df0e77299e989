// Full-text preparation for PostgreSQL's 'simple' configuration. Its parser splits on spaces and
// punctuation, which leaves Chinese and Japanese as one "word" per sentence; so scripts written
// without spaces are cut into words with Intl.Segmenter (ICU dictionaries) here, and everything
// becomes lowercase, NFKC-normalised, space-separated tokens of letters, marks and digits only.
// Index and query pass through the same function, so their tokens agree.

// Runs of scripts written without spaces between words.
const UNSPACED_RUN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u30fc\u3005\u3006\u303b]+/gu;
const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;

/** PostgreSQL refuses lexemes over 2047 bytes; longer runs of letters are blobs, not words. */
const MAX_TOKEN_CHARS = 200;
/** Runs of one locale at most this far apart share a segmenter call. */
const REGION_GAP = 64;
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

// Runs of one locale that are close together are segmented in one Intl.Segmenter call: a call
// per sentence-sized run was measured 2x slower than one per region, and the text between the
// runs of a region (Latin words, digits, punctuation) comes out of ICU as the same tokens.
function forEachToken(text: string, emit: (token: string) => void): void {
  const s = text.normalize("NFKC").toLowerCase();
  let done = 0;
  let start = -1;
  let end = -1;
  let locale = "";
  const flush = (): void => {
    if (start < 0) return;
    if (start > done) spacedTokens(s.slice(done, start), emit);
    segmentRegion(s.slice(start, end), locale, emit);
    done = end;
    start = -1;
  };
  UNSPACED_RUN.lastIndex = 0;
  for (let m = UNSPACED_RUN.exec(s); m; m = UNSPACED_RUN.exec(s)) {
    const runLocale = localeOf(m[0], s, m.index);
    if (start >= 0 && runLocale === locale && m.index - end <= REGION_GAP) {
      end = m.index + m[0].length;
      continue;
    }
    flush();
    start = m.index;
    end = m.index + m[0].length;
    locale = runLocale;
  }
  flush();
  if (done < s.length) spacedTokens(s.slice(done), emit);
}

function segmentRegion(region: string, locale: string, emit: (token: string) => void): void {
  // ICU has no Korean dictionary: it would cut Hangul at spaces, exactly as spacedTokens does.
  if (locale === "ko") {
    spacedTokens(region, emit);
    return;
  }
  for (const seg of segmenter(locale).segment(region)) {
    if (!seg.isWordLike) continue;
    const word = seg.segment;
    // Words of the unspaced scripts hold only their letters; anything else is re-cut by the
    // same rule as text outside regions, so a word's tokens never depend on its neighbours.
    if (isUnspacedStart(word.charCodeAt(0))) {
      if (word.length <= MAX_TOKEN_CHARS) emit(word);
    } else spacedTokens(word, emit);
  }
}

function isUnspacedStart(c: number): boolean {
  return (
    (c >= 0x2e80 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xd800 && c <= 0xdbff) ||
    (c >= 0x0e00 && c <= 0x0eff) ||
    (c >= 0x1000 && c <= 0x109f) ||
    (c >= 0x1100 && c <= 0x11ff) ||
    (c >= 0x1780 && c <= 0x17ff) ||
    (c >= 0xff66 && c <= 0xff9f)
  );
}

function spacedTokens(text: string, emit: (token: string) => void): void {
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    if (m[0].length <= MAX_TOKEN_CHARS) emit(m[0]);
  }
}

/** The segmenter locale for a run, by script; Han alone is Japanese when kana are near. */
function localeOf(run: string, text: string, at: number): string {
  let hangul = false;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (isKana(c)) return "ja";
    if (c >= 0xac00 && c <= 0xd7af) hangul = true;
    else if (c >= 0x0e00 && c <= 0x0e7f) return "th";
    else if (c >= 0x0e80 && c <= 0x0eff) return "lo";
    else if (c >= 0x1780 && c <= 0x17ff) return "km";
    else if (c >= 0x1000 && c <= 0x109f) return "my";
    else if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f)) hangul = true;
  }
  if (hangul) return "ko";
  const from = Math.max(0, at - KANA_WINDOW);
  const to = Math.min(text.length, at + run.length + KANA_WINDOW);
  for (let i = from; i < to; i++) if (isKana(text.charCodeAt(i))) return "ja";
  return "zh";
}

function isKana(c: number): boolean {
  return (
    (c >= 0x3041 && c <= 0x30ff && c !== 0x30fb && c !== 0x30fc) ||
    (c >= 0x31f0 && c <= 0x31ff) ||
    (c >= 0xff66 && c <= 0xff9d)
  );
}

function segmenter(locale: string): Intl.Segmenter {
  let seg = segmenters.get(locale);
  if (!seg) {
    seg = new Intl.Segmenter(locale, { granularity: "word" });
    segmenters.set(locale, seg);
  }
  return seg;
}
