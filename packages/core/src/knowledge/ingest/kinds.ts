import type { DocumentKind } from "./types.ts";

const BY_EXTENSION: Record<string, DocumentKind> = {
  txt: "txt",
  text: "txt",
  md: "markdown",
  markdown: "markdown",
  mdx: "markdown",
  htm: "html",
  html: "html",
  pdf: "pdf",
  docx: "docx",
  csv: "csv",
  json: "json",
};

/** The document kind a file extension (with or without the dot, any case) stands for, if any. */
export function documentKindFromExtension(extension: string): DocumentKind | undefined {
  const key = extension.trim().replace(/^\./, "").toLowerCase();
  return Object.hasOwn(BY_EXTENSION, key) ? BY_EXTENSION[key] : undefined;
}
