import type { DocumentStatus, DocumentView, ProcessRule } from "@enclave/contracts";

// Pure state for the knowledge pages: when to poll, per-file upload progress, process rules.

const TERMINAL: ReadonlySet<DocumentStatus> = new Set(["completed", "error", "paused"]);

/** A document that the worker will not move any further without someone acting on it. */
export function isTerminal(status: DocumentStatus): boolean {
  return TERMINAL.has(status);
}

/** Keep polling while any document is still on its way to completed or error. */
export function shouldPoll(docs: readonly Pick<DocumentView, "status">[] | undefined): boolean {
  return (docs ?? []).some((d) => !isTerminal(d.status));
}

/** Whole-number percentage of done/total; 0 when nothing is known yet, never above 100. */
export function percent(done: number, total: number): number {
  if (!(total > 0) || !(done > 0)) return 0;
  return Math.min(100, Math.round((done / total) * 100));
}

export type UploadPhase = "queued" | "uploading" | "uploaded" | "failed";

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  phase: UploadPhase;
  loaded: number;
  error: string | null;
  documentId: string | null;
}

export type UploadEvent =
  | { type: "add"; items: { key: string; name: string; size: number }[] }
  | { type: "progress"; key: string; loaded: number }
  | { type: "done"; key: string; documentId: string }
  | { type: "fail"; key: string; error: string }
  | { type: "clear" };

/** Reducer for the upload list: bytes only ever go up, and a finished item stays finished. */
export function uploadReducer(items: UploadItem[], event: UploadEvent): UploadItem[] {
  switch (event.type) {
    case "add":
      return [
        ...items,
        ...event.items.map((i) => ({
          ...i,
          phase: "queued" as const,
          loaded: 0,
          error: null,
          documentId: null,
        })),
      ];
    case "progress":
      return items.map((i) =>
        i.key === event.key && (i.phase === "queued" || i.phase === "uploading")
          ? { ...i, phase: "uploading", loaded: Math.min(i.size, Math.max(i.loaded, event.loaded)) }
          : i,
      );
    case "done":
      return items.map((i) =>
        i.key === event.key ? { ...i, phase: "uploaded", loaded: i.size, documentId: event.documentId } : i,
      );
    case "fail":
      return items.map((i) => (i.key === event.key ? { ...i, phase: "failed", error: event.error } : i));
    case "clear":
      return items.filter((i) => i.phase === "queued" || i.phase === "uploading");
  }
}

export interface ProcessRuleForm {
  mode: "automatic" | "custom";
  separator: string;
  maxTokens: string;
  overlap: string;
}

export const DEFAULT_RULE_FORM: ProcessRuleForm = {
  mode: "automatic",
  separator: "\\n\\n",
  maxTokens: "500",
  overlap: "50",
};

/** The process rule the form describes (validate with ProcessRule before sending). */
export function toProcessRule(form: ProcessRuleForm): ProcessRule {
  if (form.mode === "automatic") return { mode: "automatic" };
  const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
  const segmentation: Record<string, unknown> = {};
  if (form.separator !== "") segmentation.separator = form.separator;
  const max = num(form.maxTokens);
  const overlap = num(form.overlap);
  if (max !== undefined) segmentation.max_tokens = max;
  if (overlap !== undefined) segmentation.chunk_overlap = overlap;
  return { mode: "custom", rules: { segmentation } } as ProcessRule;
}
