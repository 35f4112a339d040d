/**
 * Notion API failures as typed DroxErrors that say what the user should check. The SDK has
 * already retried what it retries (429/529 always, 500/503 for GETs); whatever reaches us is
 * final for this attempt, and `retryable` tells the Lambda whether a redelivery may succeed
 * (the idempotent writer makes that redelivery safe). Messages never contain the token.
 */
import {
  APIErrorCode,
  APIResponseError,
  RequestTimeoutError,
  UnknownHTTPResponseError,
} from "@notionhq/client";
import { DroxError } from "../contract/errors";
import { redactText } from "../logging/redact";

export { NotionSchemaError } from "./schema";

/** A Notion API call that failed; `code` is Notion's error code when there was one. */
export class NotionApiError extends DroxError {
  readonly code?: string;

  constructor(
    message: string,
    options: { retryable: boolean; statusCode?: number; code?: string; body?: unknown; cause?: unknown },
  ) {
    super(redactText(message), options);
    this.code = options.code;
  }
}

export const CONNECT_ADVICE =
  "open the database in Notion → ··· → Connections → Connect to → DROX DevOps Backup";

export interface ErrorContext {
  /** What the writer was doing, e.g. "creating the page". */
  readonly action: string;
  /** The database id (not secret), for the not-found advice. */
  readonly databaseId?: string;
}

function parsedBody(error: APIResponseError | UnknownHTTPResponseError): unknown {
  try {
    return JSON.parse(redactText(error.body)) as unknown;
    // Stryker disable next-line BlockStatement: falling out of the function returns undefined too
  } catch {
    return undefined;
  }
}

/** Any error thrown by the SDK (or fetch underneath it) as a NotionApiError; DroxErrors pass through. */
export function toNotionError(error: unknown, context: ErrorContext): DroxError {
  if (error instanceof DroxError) return error;
  const during = `Notion: ${context.action} failed`;
  if (APIResponseError.isAPIResponseError(error)) {
    const base = { statusCode: error.status, code: error.code, body: parsedBody(error), cause: error };
    const detail = redactText(error.message);
    switch (error.code) {
      case APIErrorCode.Unauthorized:
        return new NotionApiError(
          `${during}: 401 unauthorized — the token is wrong or was revoked. Copy the Internal Integration ` +
            `Token of "DROX DevOps Backup" (notion.so/my-integrations) into NOTION_TOKEN or the secret in NOTION_TOKEN_SECRET_ARN.`,
          { ...base, retryable: false },
        );
      case APIErrorCode.RestrictedResource:
        return new NotionApiError(
          `${during}: 403 restricted_resource — the integration lacks a capability. In notion.so/my-integrations ` +
            `enable Read content, Update content and Insert content for "DROX DevOps Backup". (${detail})`,
          { ...base, retryable: false },
        );
      case APIErrorCode.ObjectNotFound:
        return new NotionApiError(
          `${during}: 404 object_not_found — the database id${context.databaseId ? ` ${context.databaseId}` : ""} is wrong ` +
            `or the integration is not connected to the database (${CONNECT_ADVICE}).`,
          { ...base, retryable: false },
        );
      case APIErrorCode.ValidationError:
      case APIErrorCode.InvalidRequest:
      case APIErrorCode.InvalidJSON:
      case APIErrorCode.InvalidRequestURL:
        // Notion's own message names the property ("Status is expected to be status.").
        return new NotionApiError(`${during}: ${error.status} ${error.code} — ${detail}`, {
          ...base,
          retryable: false,
        });
      case APIErrorCode.RateLimited:
        return new NotionApiError(
          `${during}: still rate limited (429) after the client's retries; retry later.`,
          {
            ...base,
            retryable: true,
          },
        );
      case APIErrorCode.ConflictError:
      case APIErrorCode.InternalServerError:
      case APIErrorCode.ServiceOverload:
      case APIErrorCode.ServiceUnavailable:
      case APIErrorCode.GatewayTimeout:
        return new NotionApiError(
          `${during}: ${error.status} ${error.code} — Notion is having trouble; retry later.`,
          {
            ...base,
            retryable: true,
          },
        );
      default:
        return new NotionApiError(`${during}: ${error.status} ${String(error.code)} — ${detail}`, {
          ...base,
          retryable: error.status >= 500,
        });
    }
  }
  if (UnknownHTTPResponseError.isUnknownHTTPResponseError(error)) {
    return new NotionApiError(`${during}: HTTP ${error.status} with an unexpected response`, {
      statusCode: error.status,
      retryable: error.status >= 500 || error.status === 429,
      cause: error,
    });
  }
  if (RequestTimeoutError.isRequestTimeoutError(error)) {
    return new NotionApiError(`${during}: the request timed out; retry later.`, {
      retryable: true,
      cause: error,
    });
  }
  const name = error instanceof Error ? error.name : "Error";
  return new NotionApiError(`${during}: could not reach the Notion API (${name}); retry later.`, {
    retryable: true,
    cause: error,
  });
}
