import type { FastifyReply } from "fastify";

const PING_MS = 10_000;

/**
 * A Server-Sent Events response in Dify's style: `data: {json}` frames and an `event: ping` every
 * 10 s. Opened lazily, so an error found before the first event still answers as plain JSON;
 * the security headers already set on the reply are kept.
 */
export class SseStream {
  private readonly reply: FastifyReply;
  private ping: NodeJS.Timeout | null = null;
  opened = false;

  constructor(reply: FastifyReply) {
    this.reply = reply;
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.reply.hijack();
    const raw = this.reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(this.reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    raw.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    raw.flushHeaders();
    this.ping = setInterval(() => this.write("event: ping\n\n"), PING_MS);
    this.ping.unref();
  }

  send(data: unknown): void {
    this.open();
    this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** A raw frame (the OpenAI endpoint's `data: [DONE]`). */
  write(frame: string): void {
    const raw = this.reply.raw;
    if (!raw.destroyed && !raw.writableEnded) raw.write(frame);
  }

  end(): void {
    if (this.ping) clearInterval(this.ping);
    this.ping = null;
    const raw = this.reply.raw;
    if (!raw.writableEnded) raw.end();
  }
}

/** Aborted when the client goes away before the response is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  return controller.signal;
}
