// Token counts for chunk sizing. js-tiktoken was measured at ~0.2 MB/s on CJK text (its BPE is
// quadratic in long unspaced runs), far below the ingest budget, so this is a one-pass estimate
// calibrated against cl100k_base/o200k_base (see tokens.test.ts): every CJK character counts as a
// token, Latin words by length, digits in groups of three. It leans high, so a chunk that fits by
// this count also fits an embedding model's window.

// Run kinds (plain numbers: Node's type stripping has no enums).
const Run = { None: 0, Word: 1, Digit: 2, Punct: 3, Space: 4 } as const;
type Run = (typeof Run)[keyof typeof Run];

/** Estimated model tokens in `text`; right for CJK (about one per character), never 0 for text. */
export function countTokens(text: string): number {
  let tokens = 0;
  let run: Run = Run.None;
  let ascii = 0; // ASCII letters in the current word run
  let other = 0; // non-ASCII letters in the current word run
  let len = 0; // length of the current digit / punctuation / space run
  let newline = false;

  const close = (): void => {
    switch (run) {
      case Run.Word:
        tokens += Math.ceil(ascii / 6 + other / 2);
        break;
      case Run.Digit:
        tokens += Math.ceil(len / 3);
        break;
      case Run.Punct:
        tokens += Math.ceil(len / 2);
        break;
      case Run.Space:
        // A single space merges into the next word; newlines and indentation cost a token.
        if (newline) tokens += 1;
        else if (len > 1) tokens += Math.ceil((len - 1) / 4);
        break;
      default:
        break;
    }
    run = Run.None;
    ascii = other = len = 0;
    newline = false;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) {
        if (run !== Run.Word) {
          close();
          run = Run.Word;
        }
        ascii++;
      } else if (c >= 0x30 && c <= 0x39) {
        if (run !== Run.Digit) {
          close();
          run = Run.Digit;
        }
        len++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        if (run !== Run.Space) {
          close();
          run = Run.Space;
        }
        len++;
        if (c === 0x0a) newline = true;
      } else {
        if (run !== Run.Punct) {
          close();
          run = Run.Punct;
        }
        len++;
      }
    } else if (isCjkUnit(c)) {
      close();
      tokens += 1;
    } else if (c === 0x3000 || c === 0xa0) {
      if (run !== Run.Space) {
        close();
        run = Run.Space;
      }
      len++;
    } else {
      if (run !== Run.Word) {
        close();
        run = Run.Word;
      }
      other++;
    }
  }
  close();
  return tokens;
}

/** CJK ideographs, kana, Hangul, CJK punctuation and full-width forms: about a token each. */
function isCjkUnit(c: number): boolean {
  return (
    (c >= 0x2e80 && c <= 0x9fff) || // radicals, CJK punctuation, kana, Hangul jamo compat, Han
    (c >= 0xac00 && c <= 0xd7af) || // Hangul syllables
    (c >= 0xd800 && c <= 0xdfff) || // astral (Han extensions, emoji): each half counts
    (c >= 0xf900 && c <= 0xfaff) || // compatibility ideographs
    (c >= 0xfe30 && c <= 0xfe4f) || // CJK compatibility forms
    (c >= 0xff00 && c <= 0xffef) || // full-width and half-width forms
    (c >= 0x1100 && c <= 0x11ff) // Hangul jamo
  );
}
