// CSV to text, as Dify renders it: one paragraph per row, "header: value" pairs joined by "; ".
// Quoted fields may hold separators, doubled quotes and line breaks; an unterminated quote runs
// to the end of the file rather than failing the document.

const DELIMITERS = [",", ";", "\t", "|"] as const;

export function csvToText(csv: string): string {
  const rows = parseCsv(csv, sniffDelimiter(csv));
  const header = rows.shift();
  if (!header) return "";
  const names = header.map((h, i) => h.trim() || `column ${i + 1}`);
  const out: string[] = [];
  for (const row of rows) {
    const pairs: string[] = [];
    row.forEach((value, i) => {
      const v = value.trim();
      if (v) pairs.push(`${names[i] ?? `column ${i + 1}`}: ${v}`);
    });
    if (pairs.length > 0) out.push(pairs.join("; "));
  }
  // A header-only file still has content worth indexing.
  return out.length > 0 ? out.join("\n\n") : names.join("; ");
}

/** The candidate delimiter that occurs most often (outside quotes) in the first line. */
function sniffDelimiter(csv: string): string {
  let best: string = ",";
  let bestCount = 0;
  const firstLine = firstRecord(csv);
  for (const d of DELIMITERS) {
    const count = firstLine.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

function firstRecord(csv: string): string {
  let quoted = false;
  let out = "";
  for (let i = 0; i < csv.length && i < 65536; i++) {
    const c = csv[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "\n" || c === "\r")) break;
    else if (!quoted) out += c;
  }
  return out;
}

export function parseCsv(csv: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = csv.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = (): void => {
    row.push(field);
    field = "";
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
  };
  for (; i < csv.length; i++) {
    const c = csv[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (csv[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && field.trim() === "") {
      field = "";
      quoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && csv[i + 1] === "\n") i++;
      endRow();
    } else field += c;
  }
  if (field !== "" || row.length > 0) endRow();
  return rows;
}
