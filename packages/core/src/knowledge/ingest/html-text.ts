import { decodeEntities } from "./html-entities.ts";

// HTML to text by a small tokenizer: tags and every attribute are dropped, the content of
// elements that hold code or embedded documents is dropped whole, and block elements become
// line breaks. Nothing is parsed into a DOM and nothing is ever run.

/** Elements whose content is never text for a reader. */
const DROPPED = new Set(["script", "style", "noscript", "template", "iframe", "object", "svg", "math"]);
const PARAGRAPH = new Set([
  "p",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "blockquote",
  "pre",
  "table",
  "ul",
  "ol",
  "dl",
  "section",
  "article",
  "header",
  "footer",
  "main",
  "nav",
  "aside",
  "figure",
  "form",
  "fieldset",
  "address",
  "details",
  "hr",
  "body",
  "html",
]);
const LINE = new Set([
  "br",
  "div",
  "li",
  "tr",
  "dt",
  "dd",
  "caption",
  "figcaption",
  "summary",
  "legend",
  "option",
]);
const CELL = new Set(["td", "th"]);
// Break markers: control characters, which are removed from the text itself.
const LINE_BREAK = "\u0001";
const PARAGRAPH_BREAK = "\u0002";
// eslint-disable-next-line no-control-regex -- the markers are control characters on purpose
const BREAK_RUN = /[ \t]*[\u0001\u0002][\u0001\u0002 \t]*/g;

export interface HtmlText {
  text: string;
  title?: string;
}

export function htmlToText(html: string): HtmlText {
  const out: string[] = [];
  let title: string | undefined;
  let pre = 0;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    const textEnd = lt === -1 ? html.length : lt;
    if (textEnd > i) out.push(textRun(html.slice(i, textEnd), pre > 0));
    if (lt === -1) break;
    i = lt;
    if (html.startsWith("<!--", i)) {
      const end = html.indexOf("-->", i + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    const next = html.charCodeAt(i + 1);
    if (next === 0x21 /* ! */ || next === 0x3f /* ? */) {
      const end = html.indexOf(">", i);
      i = end === -1 ? html.length : end + 1;
      continue;
    }
    const closing = next === 0x2f; /* / */
    const nameStart = closing ? i + 2 : i + 1;
    const name = tagName(html, nameStart);
    if (!name) {
      out.push(textRun("<", pre > 0));
      i++;
      continue;
    }
    const tagEnd = endOfTag(html, nameStart + name.length);
    const selfClosing = html.charCodeAt(tagEnd - 2) === 0x2f;
    i = tagEnd;
    if (!closing && name === "title") {
      const end = findClose(html, i, "title");
      title = collapse(decodeEntities(html.slice(i, end.contentEnd))).trim() || title;
      i = end.after;
      continue;
    }
    if (!closing && !selfClosing && DROPPED.has(name)) {
      i = findClose(html, i, name).after;
      continue;
    }
    if (name === "pre") pre = Math.max(0, pre + (closing ? -1 : 1));
    if (PARAGRAPH.has(name)) out.push(PARAGRAPH_BREAK);
    else if (LINE.has(name)) out.push(LINE_BREAK);
    else if (CELL.has(name) && closing) out.push(" ");
  }
  // Adjacent breaks merge to the strongest (</div><div> is one line break, not two).
  const text = out
    .join("")
    .replace(BREAK_RUN, (run) => (run.includes(PARAGRAPH_BREAK) ? "\n\n" : "\n"))
    .replace(/[ \t]*\n[ \t]*/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return title ? { text, title } : { text };
}

function textRun(raw: string, inPre: boolean): string {
  // eslint-disable-next-line no-control-regex -- strip look-alikes of the break markers
  const decoded = decodeEntities(raw.replace(/[\u0001\u0002]/g, "")).replace(/\u00a0/g, " ");
  return inPre ? decoded.replace(/\r\n?/g, "\n") : collapse(decoded);
}

function collapse(s: string): string {
  return s.replace(/[ \t\n\r\f]+/g, " ");
}

function tagName(html: string, at: number): string | null {
  const m = /^[A-Za-z][^\s/>]*/.exec(html.slice(at, at + 64));
  return m ? m[0].toLowerCase() : null;
}

/** Index just past the tag's closing ">", skipping quoted attribute values that may hold ">". */
function endOfTag(html: string, at: number): number {
  let quote = 0;
  for (let i = at; i < html.length; i++) {
    const c = html.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) {
      // A quote opens a value only after "="; a stray quote in a name is just a character.
      if (previousNonSpace(html, i, at) === 0x3d) quote = c;
    } else if (c === 0x3e) {
      return i + 1;
    }
  }
  return html.length;
}

function previousNonSpace(html: string, i: number, floor: number): number {
  for (let j = i - 1; j >= floor; j--) {
    const c = html.charCodeAt(j);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) return c;
  }
  return 0;
}

/** Where an element's content ends (before `</name`) and where parsing resumes (after its `>`). */
function findClose(html: string, from: number, name: string): { contentEnd: number; after: number } {
  // Raw-text elements end at the first close tag; template, svg, math and object nest.
  const nests = name === "template" || name === "svg" || name === "math" || name === "object";
  const pattern = new RegExp(nests ? `<(/?)${name}(?=[\\s/>]|$)` : `<(/)${name}(?=[\\s/>]|$)`, "gi");
  pattern.lastIndex = from;
  let depth = 1;
  for (let m = pattern.exec(html); m; m = pattern.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) {
      const gt = html.indexOf(">", m.index);
      return { contentEnd: m.index, after: gt === -1 ? html.length : gt + 1 };
    }
  }
  return { contentEnd: html.length, after: html.length };
}
