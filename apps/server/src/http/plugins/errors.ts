import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from "@enclave/contracts";
import { isAppError, recordAudit } from "@enclave/core";

const DENIALS = new Set<ErrorCode>(["forbidden", "csrf_failed", "mfa_enrolment_required"]);

/** Every refused permission is an audit event (who tried what), written in its own transaction. */
async function auditDenial(request: FastifyRequest, code: ErrorCode): Promise<void> {
  const ctx = request.ctx;
  if (!ctx) return;
  try {
    await recordAudit(ctx, {
      action: "auth.permission.denied",
      outcome: "denied",
      details: {
        code,
        method: request.method,
        route: request.routeOptions.url ?? null,
        permission: request.routeOptions.config?.permission ?? null,
      },
    });
  } catch (err) {
    request.log.error({ err }, "could not audit a permission denial");
  }
}

// Fastify's own client errors, mapped to our codes. Anything else with a 4xx status is bad_request.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_VALIDATION: "validation_failed",
  FST_ERR_BAD_URL: "bad_request",
  FST_ERR_ASYNC_CONSTRAINT: "bad_request",
};

const CLIENT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  payload_too_large: "request body is too large",
  unsupported_media_type: "unsupported content type",
  invalid_json: "request body is not valid JSON",
  rate_limited: "too many requests",
};

// Our codes that Dify spells differently; the rest are the same word in both.
const DIFY_CODES: Partial<Record<ErrorCode, string>> = {
  validation_failed: "invalid_param",
  invalid_json: "invalid_param",
  bad_request: "invalid_param",
  rate_limited: "too_many_requests",
  internal_error: "internal_server_error",
  payload_too_large: "file_too_large",
};

/** Which error body a route answers with: its own `errorFormat`, else Dify's for the service API. */
function errorFormat(request: FastifyRequest): "console" | "dify" | "openai" {
  const declared = request.routeOptions.config?.errorFormat;
  if (declared) return declared;
  return request.url.startsWith("/v1/") ? "dify" : "console";
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: unknown,
) {
  const status = ERROR_STATUS[code];
  reply.status(status).type("application/json; charset=utf-8");
  switch (errorFormat(request)) {
    case "dify":
      // Dify's service API shape, so its SDKs and integrations read our errors unchanged.
      return reply.send({ code: DIFY_CODES[code] ?? code, message, status });
    case "openai":
      return reply.send({
        error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", code, param: null },
      });
    default: {
      const body: ErrorBody = { code, message, requestId: request.id };
      if (details !== undefined) body.details = details;
      return reply.send(body);
    }
  }
}

/**
 * The one error edge: 4xx answers carry a code and a message written for the client; 5xx answers
 * carry only the request id, and the details go to the log line with that same id.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError | Error, request, reply) => {
    if (isAppError(error)) {
      if (DENIALS.has(error.code)) await auditDenial(request, error.code);
      if (error.code === "internal_error") {
        request.log.error({ err: error }, "request failed");
        return send(reply, request, error.code, `internal error (request id ${request.id})`);
      }
      return send(reply, request, error.code, error.message, error.details);
    }
    if (error instanceof ZodError) {
      const issues = error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code }));
      return send(reply, request, "validation_failed", "request is invalid", issues);
    }
    const fastifyError = error as FastifyError;
    if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
      return send(reply, request, "invalid_json", CLIENT_MESSAGES.invalid_json!);
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code: ErrorCode =
        (fastifyError.code && FASTIFY_CODES[fastifyError.code]) ||
        (status === 429 ? "rate_limited" : "bad_request");
      return send(reply, request, code, CLIENT_MESSAGES[code] ?? "bad request");
    }
    request.log.error({ err: error, req: request, headers: request.headers }, "request failed");
    return send(reply, request, "internal_error", `internal error (request id ${request.id})`);
  });

  app.setNotFoundHandler((request, reply) => send(reply, request, "not_found", "route not found"));
}
