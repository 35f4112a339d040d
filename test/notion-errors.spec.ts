/**
 * Notion's failures as the user reads them (runtime/notion/errors.ts): what to fix, and whether a
 * redelivery may succeed. The errors are the SDK's own classes, as @notionhq/client builds them
 * from an answer (developers.notion.com/reference/status-codes: code, status and message).
 */
import assert from "node:assert/strict";
import {
  APIErrorCode,
  APIResponseError,
  RequestTimeoutError,
  UnknownHTTPResponseError,
} from "@notionhq/client";
import { ConfigError } from "../runtime/contract/errors";
import { NotionApiError, toNotionError } from "../runtime/notion/errors";

const ACTION = { action: "creating the page", databaseId: "0123456789abcdef0123456789abcdef" };

function answered(status: number, code: APIErrorCode, message: string): APIResponseError {
  const body = { object: "error", status, code, message, request_id: "r-1" };
  return new APIResponseError({
    code,
    status,
    message,
    headers: {},
    rawBodyText: JSON.stringify(body),
    additional_data: undefined,
    request_id: "r-1",
  });
}

function converted(error: unknown, context = ACTION): NotionApiError {
  const out = toNotionError(error, context);
  assert.ok(out instanceof NotionApiError);
  return out;
}

describe("Notion errors as the user reads them", () => {
  it("must say which capabilities to enable on 403 restricted_resource, and not retry", () => {
    const error = converted(answered(403, APIErrorCode.RestrictedResource, "Insufficient permissions."));
    assert.equal(
      error.message,
      'Notion: creating the page failed: 403 restricted_resource — the integration lacks a capability. In notion.so/my-integrations enable Read content, Update content and Insert content for "DROX DevOps Backup". (Insufficient permissions.)',
    );
    assert.equal(error.retryable, false);
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, "restricted_resource");
  });

  it("must keep Notion's answer as the body, and the SDK's error as the cause", () => {
    const sdk = answered(404, APIErrorCode.ObjectNotFound, "Could not find database.");
    const error = converted(sdk);
    assert.deepEqual(error.body, {
      object: "error",
      status: 404,
      code: "object_not_found",
      message: "Could not find database.",
      request_id: "r-1",
    });
    assert.equal(error.cause, sdk);
  });

  it("must leave the body out when Notion's answer is not JSON", () => {
    const sdk = new APIResponseError({
      code: APIErrorCode.InternalServerError,
      status: 500,
      message: "Internal error",
      headers: {},
      rawBodyText: "<html>oops</html>",
      additional_data: undefined,
      request_id: undefined,
    });
    assert.equal(converted(sdk).body, undefined);
  });

  it("must name the database id on 404 when it is known, and read without it otherwise", () => {
    const sdk = answered(404, APIErrorCode.ObjectNotFound, "Could not find database.");
    assert.match(converted(sdk).message, /the database id 0123456789abcdef0123456789abcdef is wrong or/);
    assert.match(
      converted(sdk, { action: "reading the database", databaseId: "" }).message,
      /^Notion: reading the database failed: 404 object_not_found — the database id is wrong or the integration is not connected/,
    );
  });

  it("must call Notion's own trouble retryable: 409, 500, 503, 504 and 529", () => {
    const cases: [number, APIErrorCode][] = [
      [409, APIErrorCode.ConflictError],
      [500, APIErrorCode.InternalServerError],
      [503, APIErrorCode.ServiceUnavailable],
      [504, APIErrorCode.GatewayTimeout],
      [529, APIErrorCode.ServiceOverload],
    ];
    for (const [status, code] of cases) {
      const error = converted(answered(status, code, "Something went wrong."));
      assert.equal(error.retryable, true, code);
      assert.equal(
        error.message,
        `Notion: creating the page failed: ${status} ${code} — Notion is having trouble; retry later.`,
      );
    }
  });

  it("must pass on a code this module does not know, retrying only a 5xx", () => {
    const beta = converted(answered(400, APIErrorCode.InvalidBeta, "Beta not enabled."));
    assert.equal(beta.message, "Notion: creating the page failed: 400 invalid_beta — Beta not enabled.");
    assert.equal(beta.retryable, false);
    assert.equal(converted(answered(500, APIErrorCode.InvalidBeta, "x")).retryable, true);
    assert.equal(converted(answered(499, APIErrorCode.InvalidBeta, "x")).retryable, false);
  });

  it("must retry an answer that is no Notion error only when it is a 5xx or a 429", () => {
    const unknown = (status: number) =>
      converted(new UnknownHTTPResponseError({ status, message: undefined, headers: {}, rawBodyText: "" }));
    const gateway = unknown(502);
    assert.equal(gateway.message, "Notion: creating the page failed: HTTP 502 with an unexpected response");
    assert.equal(gateway.statusCode, 502);
    assert.equal(gateway.retryable, true);
    assert.equal(unknown(500).retryable, true);
    assert.equal(unknown(429).retryable, true);
    assert.equal(unknown(499).retryable, false);
    assert.equal(unknown(404).retryable, false);
  });

  it("must call a timeout and an unreachable API retryable, naming only the error's kind", () => {
    const timeout = converted(new RequestTimeoutError());
    assert.equal(timeout.message, "Notion: creating the page failed: the request timed out; retry later.");
    assert.equal(timeout.retryable, true);
    const refused = converted(new TypeError("fetch failed"));
    assert.equal(
      refused.message,
      "Notion: creating the page failed: could not reach the Notion API (TypeError); retry later.",
    );
    assert.equal(refused.retryable, true);
    assert.match(converted("a string").message, /could not reach the Notion API \(Error\)/);
  });

  it("must pass the project's own errors through unchanged (the rate-limit guard's, a schema error)", () => {
    const guard = new NotionApiError("Notion: POST /v1/pages answered 429", {
      retryable: true,
      statusCode: 429,
    });
    assert.equal(toNotionError(guard, ACTION), guard);
    const config = new ConfigError("NOTION_DATABASE_ID must be set");
    assert.equal(toNotionError(config, ACTION), config);
  });
});
