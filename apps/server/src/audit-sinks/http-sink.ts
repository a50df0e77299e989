import type { AuditSink, ShipItem } from "@enclave/core";
import { shipDocument } from "./format.ts";

export interface HttpSinkOptions {
  url: string;
  /** `generic`: POST a JSON array of documents; `elasticsearch`: POST NDJSON to `<url>/_bulk`. */
  format: "generic" | "elasticsearch";
  /** Elasticsearch index (data stream) name. */
  index?: string;
  /**
   * Full Authorization header value, e.g. `Bearer …` or `ApiKey …` — or a function asked before
   * every batch, so a value rotated in the console or the secret store is used without a restart.
   */
  authorization?: string | (() => Promise<string | undefined>) | undefined;
  /** Ship only this workspace's events (a sink configured in the console). */
  workspaceId?: string;
  /** Cursor name; defaults to one derived from the URL. */
  id?: string;
  /** The guarded client from core/net: the SIEM's address passes the same SSRF policy. */
  fetch: typeof fetch;
  timeoutMs?: number;
}

/**
 * HTTP(S) JSON delivery. A batch is delivered when the receiver answers 2xx (and, for `_bulk`,
 * reports no item errors other than 409 "already exists", which is how the event-id `_id` makes
 * redelivery idempotent). Anything else throws, and the shipper retries with backoff.
 */
export class HttpSink implements AuditSink {
  readonly id: string;
  readonly workspaceId: string | undefined;
  private readonly opts: HttpSinkOptions;

  constructor(opts: HttpSinkOptions) {
    this.opts = opts;
    this.id = opts.id ?? `http:${new URL(opts.url).origin}${new URL(opts.url).pathname}`;
    this.workspaceId = opts.workspaceId;
  }

  async send(items: ShipItem[]): Promise<void> {
    const docs = items.map(shipDocument);
    const headers: Record<string, string> = {};
    const authorization =
      typeof this.opts.authorization === "function"
        ? await this.opts.authorization()
        : this.opts.authorization;
    if (authorization) headers.authorization = authorization;
    let url = this.opts.url;
    let body: string;
    if (this.opts.format === "elasticsearch") {
      url = `${url.replace(/\/$/, "")}/_bulk`;
      headers["content-type"] = "application/x-ndjson";
      const index = this.opts.index ?? "enclave-audit";
      body = docs
        .map((doc) => {
          const id = (doc.event as { id: string }).id;
          return `${JSON.stringify({ create: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`;
        })
        .join("");
    } else {
      headers["content-type"] = "application/json";
      body = JSON.stringify(docs);
    }
    const res = await this.opts.fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`SIEM answered ${res.status}`);
    if (this.opts.format === "elasticsearch") {
      const parsed = JSON.parse(text) as { errors?: boolean; items?: Record<string, { status: number }>[] };
      const failed = (parsed.items ?? []).filter((item) => {
        const status = Object.values(item)[0]?.status ?? 500;
        return status >= 300 && status !== 409;
      });
      if (parsed.errors && failed.length > 0) throw new Error(`SIEM rejected ${failed.length} document(s)`);
    }
  }

  async close(): Promise<void> {}
}
