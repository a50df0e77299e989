import { countTokens } from "./tokens.ts";

// Recursive splitting: a section over the budget is cut at the coarsest boundary that exists
// (blank line, line, sentence end, clause, space), pieces that fit are packed back together up
// to the budget with overlap, and a piece still too large goes one level finer; the last
// resort cuts between characters. Delimiters stay attached to the piece before them, so packed
// text reads exactly as the source did.

interface Piece {
  text: string;
  tokens: number;
}

const LEVELS: RegExp[] = [
  /\n{2,}/g,
  /\n/g,
  /[.!?…](?=\s)\s*|[。！？；]+|[!?](?=[\u3040-\u9fff\uac00-\ud7af])/g,
  /[,;:、，：]\s*/g,
  /\s+/g,
];

export interface SplitBudget {
  maxTokens: number;
  overlap: number;
}

/** Splits `text` into trimmed, non-empty chunks of at most `maxTokens` tokens each. */
export function splitToChunks(text: string, budget: SplitBudget, firstLevel?: RegExp): string[] {
  const out: string[] = [];
  const levels = firstLevel ? [firstLevel, ...LEVELS] : LEVELS;
  splitRecursive(text, 0, levels, budget, out);
  return out;
}

function splitRecursive(
  text: string,
  level: number,
  levels: RegExp[],
  budget: SplitBudget,
  out: string[],
): void {
  const tokens = countTokens(text);
  if (tokens <= budget.maxTokens) {
    pushChunk(out, text);
    return;
  }
  const pattern = levels[level];
  if (!pattern) {
    for (const part of cutCharacters(text, budget.maxTokens)) pushChunk(out, part);
    return;
  }
  const parts = cutAfter(text, pattern);
  if (parts.length === 1) {
    splitRecursive(text, level + 1, levels, budget, out);
    return;
  }
  let fitting: Piece[] = [];
  for (const part of parts) {
    const t = countTokens(part);
    if (t <= budget.maxTokens) {
      fitting.push({ text: part, tokens: t });
      continue;
    }
    pack(fitting, budget, out);
    fitting = [];
    splitRecursive(part, level + 1, levels, budget, out);
  }
  pack(fitting, budget, out);
}

/** Cuts after every match of `pattern`, keeping the delimiter at the end of each part. */
function cutAfter(text: string, pattern: RegExp): string[] {
  const parts: string[] = [];
  let start = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    const end = m.index + m[0].length;
    if (end > start && end < text.length) {
      parts.push(text.slice(start, end));
      start = end;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Greedy packing with a sliding window: the tail of one chunk (≤ overlap tokens) opens the next. */
function pack(pieces: Piece[], budget: SplitBudget, out: string[]): void {
  const window: Piece[] = [];
  let total = 0;
  for (const piece of pieces) {
    if (total + piece.tokens > budget.maxTokens && window.length > 0) {
      emit(window, budget.maxTokens, out);
      while (window.length > 0 && (total > budget.overlap || total + piece.tokens > budget.maxTokens)) {
        total -= window.shift()!.tokens;
      }
    }
    window.push(piece);
    total += piece.tokens;
  }
  if (window.length > 0) emit(window, budget.maxTokens, out);
}

/** Emits the window's text; the token estimate is near-additive, so re-check and shed if needed. */
function emit(window: Piece[], maxTokens: number, out: string[]): void {
  let end = window.length;
  let text = join(window, end);
  while (end > 1 && countTokens(text.trim()) > maxTokens) {
    end--;
    text = join(window, end);
  }
  pushChunk(out, text);
  if (end < window.length) emit(window.slice(end), maxTokens, out);
}

function join(pieces: Piece[], end: number): string {
  let s = "";
  for (let i = 0; i < end; i++) s += pieces[i]!.text;
  return s;
}

function pushChunk(out: string[], text: string): void {
  const trimmed = text.trim();
  if (trimmed.length > 0) out.push(trimmed);
}

/** Last resort: the longest prefixes that fit, found by binary search, never splitting a surrogate pair. */
function cutCharacters(text: string, maxTokens: number): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    // No whitespace is left at this level, so every token covers at most 6 characters: the
    // search window stays proportional to the budget, never to the whole text.
    let lo = start + 1;
    let hi = Math.min(text.length, start + maxTokens * 8 + 16);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (countTokens(text.slice(start, mid)) <= maxTokens) lo = mid;
      else hi = mid - 1;
    }
    let end = lo;
    // Keep a surrogate pair whole (only a 1-token budget can't hold one; it then goes over by one).
    if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end += end - 1 > start ? -1 : 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
