/**
 * `attachment` with the file's display name: an ASCII fallback (quotes, backslashes, controls and
 * non-ASCII replaced) and the exact name RFC 5987-encoded. Never lets a name break the header.
 */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_") || "file";
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
