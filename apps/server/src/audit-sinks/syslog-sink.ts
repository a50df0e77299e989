import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import type { AuditSink, ShipItem } from "@enclave/core";
import { syslogFrame } from "./format.ts";

export interface SyslogSinkOptions {
  /** `tcp://host:port` or `tls://host:port`. */
  url: string;
  /** PEM CA for `tls://` receivers with a private CA. */
  caFile?: string | undefined;
  connectTimeoutMs?: number;
}

// Plain syslog has no acknowledgement: bytes the kernel accepted can still die with the
// connection. Items written on a connection that later closes are sent again on the next one.
const RESEND_WINDOW = 2000;

/**
 * RFC 5424 over TCP or TLS with octet-counting framing. A batch counts as delivered once the
 * kernel accepted every byte; when a connection drops, the most recent items written on it are
 * re-sent on the next one (at-least-once: receivers dedupe by event id / seq).
 */
export class SyslogSink implements AuditSink {
  readonly id: string;
  private readonly opts: SyslogSinkOptions;
  private readonly target: { tls: boolean; host: string; port: number };
  private socket: Socket | undefined;
  /** Items written on the current connection, newest last (bounded). */
  private written: ShipItem[] = [];
  /** Items to send again because the connection they went out on died. */
  private resend: ShipItem[] = [];

  constructor(opts: SyslogSinkOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== "tcp:" && u.protocol !== "tls:")
      throw new Error("syslog URL must be tcp:// or tls://");
    this.opts = opts;
    this.target = {
      tls: u.protocol === "tls:",
      host: u.hostname,
      port: Number(u.port || (u.protocol === "tls:" ? 6514 : 514)),
    };
    this.id = `syslog:${u.protocol}//${u.host}`;
  }

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const { host, port, tls } = this.target;
      const socket = tls
        ? tlsConnect({
            host,
            port,
            servername: host,
            ...(this.opts.caFile ? { ca: readFileSync(this.opts.caFile) } : {}),
          })
        : tcpConnect({ host, port });
      const timer = setTimeout(
        () => socket.destroy(new Error("syslog connect timeout")),
        this.opts.connectTimeoutMs ?? 5000,
      );
      socket.once(tls ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.setKeepAlive(true);
        socket.removeAllListeners("error");
        socket.on("error", () => socket.destroy());
        socket.on("end", () => socket.destroy());
        socket.once("close", () => {
          if (this.socket === socket) this.socket = undefined;
          this.resend = this.written;
          this.written = [];
        });
        this.socket = socket;
        resolve(socket);
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
    });
  }

  async send(batch: ShipItem[]): Promise<void> {
    const socket = await this.connect();
    const items = [...this.resend, ...batch];
    const payload = Buffer.concat(items.map(syslogFrame));
    await new Promise<void>((resolve, reject) => {
      socket.write(payload, (err) => {
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve();
      });
    });
    if (socket.destroyed) throw new Error("syslog connection closed");
    this.resend = [];
    this.written.push(...items);
    if (this.written.length > RESEND_WINDOW) this.written.splice(0, this.written.length - RESEND_WINDOW);
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => socket.end(resolve));
  }
}
