/**
 * Typed errors shared by every runtime module. Each says whether retrying can help, so Lambda
 * handlers (which must throw to trigger retries and the dead-letter queue), the CLI (exit codes)
 * and the HTTP API (status codes) can act on them without string matching.
 */

/** One problem with an event: the field's dotted path and what is wrong with it. */
export interface FieldIssue {
  readonly field: string;
  readonly problem: string;
}

export interface DroxErrorOptions {
  /** Whether the same call may succeed later (throttling, 5xx, timeouts). */
  readonly retryable: boolean;
  /** HTTP status of the upstream response, when there was one. */
  readonly statusCode?: number;
  /** Upstream response body, already free of secrets. */
  readonly body?: unknown;
  readonly cause?: unknown;
}

export class DroxError extends Error {
  readonly retryable: boolean;
  readonly statusCode?: number;
  readonly body?: unknown;

  constructor(message: string, options: DroxErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
    this.statusCode = options.statusCode;
    this.body = options.body;
  }
}

/** Input that does not match the event contract; never retryable. */
export class ValidationError extends DroxError {
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[]) {
    super(message, { retryable: false, statusCode: 400 });
    this.issues = issues;
  }
}

/** A missing or malformed setting: names the environment variable or config key and the fix. */
export class ConfigError extends DroxError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof DroxError ? error.retryable : false;
}
