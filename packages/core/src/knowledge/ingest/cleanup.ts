/** Dify's pre-processing rules, as flags (`remove_stopwords` is accepted by Dify and ignored). */
export interface CleanupOptions {
  /** Collapse runs of spaces/tabs to one space and of 3+ newlines to one blank line. */
  removeExtraSpaces: boolean;
  /** Drop URLs and e-mail addresses; a Markdown link keeps its text. */
  removeUrlsEmails: boolean;
}

// Control characters other than tab and newline, the BOM and non-characters: never useful in a
// chunk, and some (NUL) are refused by PostgreSQL text columns.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\ufffe\uffff]/g;
const HORIZONTAL_SPACE_RUN = /[ \t\f\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{2,}/g;
const MARKDOWN_LINK = /!?\[([^\]\n]*)\]\((?:https?:\/\/|mailto:)[^)\s]*\)/g;
const URL = /\b(?:https?|ftp):\/\/[^\s<>"'）】」』]+/g;
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

/** Normalises line ends and drops control characters, then applies the enabled rules. */
export function cleanText(text: string, options: CleanupOptions): string {
  let out = text.replace(/\r\n?/g, "\n").replace(CONTROL, "");
  if (options.removeUrlsEmails) {
    out = out.replace(MARKDOWN_LINK, "$1").replace(URL, "").replace(EMAIL, "");
  }
  if (options.removeExtraSpaces) {
    out = out
      .replace(HORIZONTAL_SPACE_RUN, " ")
      .replace(/ +\n/g, "\n")
      .replace(/\n{3,}/g, "\n\n");
  }
  return out;
}
