/** Longest name we keep for an uploaded file, in code points (the extension is kept when cutting). */
export const MAX_FILE_NAME_LENGTH = 200;

// Characters that must never reach a stored name: C0/C1 controls and DEL, bidi embeddings and
// overrides (the `invoice‮fdp.exe` trick), zero-width characters, line/paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/gu;
// Separators and characters Windows refuses in names: a name is one segment, never a path.
const UNSAFE = /[<>:"|?*]/gu;

/**
 * A display name for an uploaded file: the last path segment only, without control, bidi or
 * zero-width characters, no leading dots, at most 200 characters, never empty. It is only ever
 * shown; storage keys are server-generated.
 */
export function safeFileName(name: string): string {
  const segments = name.normalize("NFC").split(/[/\\]/u);
  let base = "";
  for (let i = segments.length - 1; i >= 0 && !base; i--) base = clean(segments[i] ?? "");
  if (!base) return "file";
  return truncate(base);
}

function clean(segment: string): string {
  return segment
    .replace(INVISIBLE, "")
    .replace(UNSAFE, "_")
    .trim()
    .replace(/^[.\s]+/u, "")
    .replace(/[.\s]+$/u, "");
}

function truncate(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_FILE_NAME_LENGTH) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length > 0 && ext.length <= 20) {
    const stem = Array.from(name.slice(0, dot)).slice(0, MAX_FILE_NAME_LENGTH - ext.length);
    return stem.join("").trimEnd() + ext.join("");
  }
  return chars.slice(0, MAX_FILE_NAME_LENGTH).join("").trimEnd();
}

/** The lower-cased extension of a (safe) file name without its dot; "" when it has none. */
export function fileExtension(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return "";
  return name.slice(dot + 1).toLowerCase();
}
