/**
 * One error shape for every non-2xx answer — `{ error: { code, message, issues?, checks? } }` — and
 * the mapping from whatever was thrown (our typed errors, Fastify's parser errors, the rate limiter)
 * to a status code. Messages are scrubbed of secrets; unexpected errors never echo their message.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ConfigError, DroxError, ValidationError } from "../contract/errors";
import type { FieldIssue } from "../contract/events";
import { redactText } from "../logging/redact";

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** Which fields were wrong and how (validation failures). */
    readonly issues?: readonly FieldIssue[];
    /** What to check to fix it (failed Slack / Notion tests). */
    readonly checks?: readonly string[];
  };
}

/** An error whose status, code and public message the route chose on purpose. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly issues?: readonly FieldIssue[];
  readonly checks?: readonly string[];

  constructor(
    statusCode: number,
    code: string,
    message: string,
    extra: { issues?: readonly FieldIssue[]; checks?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "HttpError";
    this.statusCode = statusCode;
    this.code = code;
    this.issues = extra.issues;
    this.checks = extra.checks;
  }
}

export function errorBody(
  code: string,
  message: string,
  extra: { issues?: readonly FieldIssue[]; checks?: readonly string[] } = {},
): ErrorBody {
  return {
    error: {
      code,
      message: redactText(message),
      ...(extra.issues ? { issues: extra.issues } : {}),
      ...(extra.checks ? { checks: extra.checks } : {}),
    },
  };
}

/** Fastify's own client errors (body parsing, limits), by their error code. */
const FASTIFY_CODES: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "MALFORMED_JSON", message: "the request body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: "MALFORMED_JSON",
    message: "the request body is empty but Content-Type is application/json",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "PAYLOAD_TOO_LARGE", message: "the request body is too large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: "send the body as application/json",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: "BAD_REQUEST",
    message: "Content-Length does not match the body",
  },
};

interface Mapped {
  readonly status: number;
  readonly body: ErrorBody;
}

export function mapError(error: unknown): Mapped {
  if (error instanceof HttpError) {
    return {
      status: error.statusCode,
      body: errorBody(error.code, error.message, { issues: error.issues, checks: error.checks }),
    };
  }
  if (error instanceof ValidationError) {
    return { status: 400, body: errorBody("VALIDATION_FAILED", error.message, { issues: error.issues }) };
  }
  if (error instanceof ConfigError) {
    return { status: 503, body: errorBody("NOT_CONFIGURED", error.message) };
  }
  if (error instanceof DroxError) {
    // An upstream (AWS, Slack, Notion) failed: the message is ours and already names no secret.
    return {
      status: error.retryable ? 503 : 502,
      body: errorBody(error.retryable ? "UPSTREAM_UNAVAILABLE" : "UPSTREAM_FAILED", error.message),
    };
  }
  const fastify = error as Partial<FastifyError>;
  const known = fastify.code ? FASTIFY_CODES[fastify.code] : undefined;
  if (known) return { status: fastify.statusCode ?? 400, body: errorBody(known.code, known.message) };
  if (fastify.statusCode === 429) {
    return {
      status: 429,
      body: errorBody("RATE_LIMITED", redactText(fastify.message ?? "too many requests")),
    };
  }
  if (typeof fastify.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: errorBody("BAD_REQUEST", "the request could not be read") };
  }
  return { status: 500, body: errorBody("INTERNAL", "internal error; the service log has the details") };
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = mapError(error);
  if (status >= 500) request.log.error({ err: error, code: body.error.code }, "request failed");
  else request.log.info({ code: body.error.code, status }, `request rejected: ${body.error.message}`);
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .send(errorBody("NOT_FOUND", `no route ${request.method} ${new URL(request.url, "http://x").pathname}`));
}
