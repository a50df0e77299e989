import type { FastifyRequest, FastifyReply } from "fastify";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { redactDeep, isSensitiveKey, REDACTED } from "@enclave/core";

// Path segments that are bearer secrets in their own right (invitation links and the like).
const SECRET_PATH_SEGMENTS = [/(\/invitations\/)[^/?#]+/g, /(\/setup-token\/)[^/?#]+/g];

/** The URL as it may appear in a log: secret path segments and sensitive query values masked. */
export function loggableUrl(url: string): string {
  const queryAt = url.indexOf("?");
  let path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? undefined : url.slice(queryAt + 1);
  for (const re of SECRET_PATH_SEGMENTS) path = path.replace(re, `$1${REDACTED}`);
  if (query === undefined) return path;
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) if (isSensitiveKey(key)) params.set(key, REDACTED);
  return `${path}?${params.toString()}`;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: "enclave" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Belt and braces: fixed paths for the common carriers, then a deep pass by key name.
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        'req.headers["x-api-key"]',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
      ],
      censor: REDACTED,
    },
    formatters: {
      log: (object) => redactDeep(object) as Record<string, unknown>,
    },
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: loggableUrl(req.url),
        ip: req.ip,
      }),
      res: (res: FastifyReply) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
