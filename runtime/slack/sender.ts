/**
 * Delivery to one incoming webhook on @slack/webhook, with the retry policy Slack asks for.
 *
 * The SDK's own retry (p-retry via `retryConfig`) retries only 5xx and network errors: it aborts on
 * 429 at once, and its HTTP error carries no response headers, so it cannot honour `Retry-After`.
 * Stacking it under a second loop for 429 would double the retries, so the SDK is used with
 * `retries: 0` for one request (its `timeout` and `fetch` options) and this module owns the one
 * retry loop: 429 waits `Retry-After` (read by the `fetch` we hand the SDK), 5xx/timeouts/network
 * errors back off exponentially with jitter, all within `maxAttempts` and `budgetMs`; other 4xx fail
 * at once with advice. Sends to one webhook run one at a time, and once a webhook has answered 429
 * the next sends keep Slack's documented pace (one message a second) instead of hammering it — and
 * none goes before the `Retry-After` Slack gave, even when the message that got it gave up.
 *
 * A 4xx about the message itself (invalid_blocks, msg_blocks_too_long, …) is final for that payload,
 * but the alert need not be lost with it: the plain `text` (the seed's message, no blocks) is sent
 * once instead, and the degradation is logged.
 *
 * The SDK's errors hold the request (so the secret URL); they are never rethrown, logged or kept as
 * a `cause` — only a scrubbed stand-in is.
 */
import { setTimeout as delay } from "node:timers/promises";
import { IncomingWebhook, type FetchFunction } from "@slack/webhook";
import pLimit from "p-limit";
import type { Logger } from "../logging/logger";
import type { SlackPayload } from "./blocks";
import { adviceFor, isPayloadError, scrubbedCause, SlackDeliveryError, slackErrorCode } from "./errors";
import type { Target } from "./routing";
import { DEFAULT_RETRY, type RetrySettings } from "./settings";

export interface SenderOptions extends Partial<RetrySettings> {
  readonly logger?: Logger;
  /** Slack's documented sustained rate per webhook, kept after a 429. @default 1000 */
  readonly paceMs?: number;
  /** How long after a 429 the pace is kept. @default 60000 */
  readonly paceWindowMs?: number;
  /** Injected in tests. */
  readonly fetch?: FetchFunction;
  readonly random?: () => number;
}

type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly kind: "http";
      readonly statusCode: number;
      readonly slackError?: string;
      readonly retryAfterMs?: number;
    }
  | { readonly ok: false; readonly kind: "timeout" | "network"; readonly cause: Error };

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describe(outcome: Exclude<Outcome, { ok: true }>, timeoutMs: number): string {
  switch (outcome.kind) {
    case "http":
      return `HTTP ${outcome.statusCode}${outcome.slackError ? ` ${outcome.slackError}` : ""}`;
    case "timeout":
      return `no answer within ${seconds(timeoutMs)}`;
    case "network":
      return `network error: ${outcome.cause.message}`;
  }
}

export class SlackSender {
  private readonly retry: RetrySettings;
  private readonly logger?: Logger;
  private readonly paceMs: number;
  private readonly paceWindowMs: number;
  private readonly fetchFn: FetchFunction;
  private readonly random: () => number;
  private readonly queues = new Map<string, pLimit.Limit>();
  /**
   * Per webhook URL after a 429: until when the pace is kept, when the last request ended, and the
   * earliest moment Slack's `Retry-After` allows the next request.
   */
  private readonly limited = new Map<string, { until: number; lastEnd: number; retryAt: number }>();

  constructor(options: SenderOptions = {}) {
    this.retry = {
      maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      budgetMs: options.budgetMs ?? DEFAULT_RETRY.budgetMs,
      timeoutMs: options.timeoutMs ?? DEFAULT_RETRY.timeoutMs,
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    this.logger = options.logger;
    this.paceMs = options.paceMs ?? 1_000;
    this.paceWindowMs = options.paceWindowMs ?? 60_000;
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.random = options.random ?? Math.random;
  }

  /** Delivers one payload; throws SlackDeliveryError (retryable or not) when Slack did not take it. */
  async send(target: Target, payload: SlackPayload): Promise<void> {
    let queue = this.queues.get(target.url);
    if (!queue) {
      queue = pLimit(1);
      this.queues.set(target.url, queue);
    }
    await queue(() => this.deliver(target, payload));
  }

  private async deliver(target: Target, first: SlackPayload): Promise<void> {
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    let payload: SlackPayload | { readonly text: string } = first;
    for (let attempt = 1; ; attempt += 1) {
      const hold = this.holdFor(target.url);
      if (hold > 0) {
        // A 429 (this message's or an earlier one's) set when the webhook may be called again; a
        // hold past the budget is handed back at once (retryable) rather than spent waiting.
        // Stryker disable next-line EqualityOperator: > and >= differ only when both sides meet to the millisecond
        if (hold + Math.min(this.retry.timeoutMs, 100) > this.retry.budgetMs - elapsed()) {
          throw new SlackDeliveryError(
            `Slack did not accept the message to the ${target.name} webhook: after Slack's 429 the ` +
              `webhook must stay quiet ${seconds(hold)} more (Retry-After, then one message a second), ` +
              `which would exceed the ${seconds(this.retry.budgetMs)} delivery budget. ` +
              "It may succeed later (retryable)",
            {
              webhook: target.name,
              attempts: attempt - 1,
              elapsedMs: elapsed(),
              retryable: true,
              statusCode: 429,
            },
          );
        }
        await delay(hold);
      }
      const outcome = await this.attempt(target.url, payload);
      if (outcome.ok) return;
      const base = { webhook: target.name, attempts: attempt, elapsedMs: elapsed() };
      // Stryker disable next-line ConditionalExpression: a timeout or network outcome has no statusCode to read
      const statusCode = outcome.kind === "http" ? outcome.statusCode : undefined;
      // Stryker disable next-line ConditionalExpression: a timeout or network outcome has no slackError to read
      const slackError = outcome.kind === "http" ? outcome.slackError : undefined;
      // Stryker disable next-line ConditionalExpression,StringLiteral: an HTTP outcome has no cause to read
      const cause = outcome.kind === "http" ? undefined : outcome.cause;

      if (outcome.kind === "http" && !isRetryableStatus(outcome.statusCode)) {
        const what = describe(outcome, this.retry.timeoutMs);
        if (isPayloadError(outcome.slackError) && "blocks" in payload) {
          this.logger?.warn(
            { webhook: target.name, attempt, statusCode, slackError, degraded: true },
            `Slack refused the blocks of the message to the ${target.name} webhook (${what}); ` +
              "sending its plain text instead",
          );
          payload = { text: payload.text };
          continue;
        }
        const advice = adviceFor(target.name, outcome.statusCode, outcome.slackError);
        throw new SlackDeliveryError(
          `Slack refused the message to the ${target.name} webhook (${what}): ${advice}`,
          { ...base, retryable: false, statusCode, slackError },
        );
      }

      let wait: number;
      // Stryker disable next-line ConditionalExpression: a timeout or network outcome has no statusCode to equal 429
      if (outcome.kind === "http" && outcome.statusCode === 429) {
        wait = outcome.retryAfterMs ?? this.backoff(attempt);
        const now = Date.now();
        this.limited.set(target.url, {
          until: now + wait + this.paceWindowMs,
          lastEnd: now,
          retryAt: now + wait,
        });
      } else {
        wait = this.backoff(attempt);
      }
      const what = describe(outcome, this.retry.timeoutMs);
      const giveUp = (why: string) =>
        new SlackDeliveryError(
          `Slack did not accept the message to the ${target.name} webhook after ${attempt} attempt(s) in ` +
            `${seconds(elapsed())} (last: ${what}); ${why}. It may succeed later (retryable)`,
          { ...base, elapsedMs: elapsed(), retryable: true, statusCode, slackError, cause },
        );
      if (attempt >= this.retry.maxAttempts)
        throw giveUp(`the ${this.retry.maxAttempts}-attempt limit is reached`);
      const left = this.retry.budgetMs - elapsed();
      // The next request needs time too: waiting only to run out of budget mid-request helps nobody.
      // Stryker disable next-line EqualityOperator: > and >= differ only when both sides meet to the millisecond
      if (wait + Math.min(this.retry.timeoutMs, 100) > left) {
        throw giveUp(
          `waiting ${seconds(wait)}${statusCode === 429 ? " (Retry-After)" : ""} would exceed the ` +
            `${seconds(this.retry.budgetMs)} delivery budget`,
        );
      }
      this.logger?.warn(
        { webhook: target.name, attempt, statusCode, slackError, waitMs: wait },
        `Slack delivery to the ${target.name} webhook failed (${what}); retrying in ${seconds(wait)}`,
      );
      await delay(wait);
    }
  }

  /** Exponential backoff with equal jitter: half the step fixed, half random. */
  private backoff(attempt: number): number {
    const step = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  /** How long this webhook must stay quiet: Slack's pace after a 429, and its `Retry-After`. */
  private holdFor(url: string): number {
    const state = this.limited.get(url);
    if (!state) return 0;
    const now = Date.now();
    // Stryker disable next-line EqualityOperator: > and >= differ in one millisecond of the window, which no clock shows
    if (now > state.until) {
      // Stryker disable next-line CallExpression: an expired entry answers 0 either way; deleting it only frees it
      this.limited.delete(url);
      return 0;
    }
    return Math.max(0, state.lastEnd + this.paceMs - now, state.retryAt - now);
  }

  private async attempt(url: string, payload: SlackPayload | { readonly text: string }): Promise<Outcome> {
    let retryAfter: string | null = null;
    // The SDK hides response headers from its errors; our fetch keeps the one we need.
    const fetchFn: FetchFunction = async (input, init) => {
      const response = await this.fetchFn(input, init);
      retryAfter = response.headers.get("retry-after");
      return response;
    };
    const webhook = new IncomingWebhook(url, {
      timeout: this.retry.timeoutMs,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
    });
    try {
      await webhook.send(payload);
      return { ok: true };
    } catch (error) {
      const http = error as { statusCode?: unknown; body?: unknown };
      if (typeof http.statusCode === "number") {
        return {
          ok: false,
          kind: "http",
          statusCode: http.statusCode,
          slackError: slackErrorCode(typeof http.body === "string" ? http.body : undefined),
          retryAfterMs: parseRetryAfter(retryAfter),
        };
      }
      const cause = scrubbedCause(error, url);
      return { ok: false, kind: cause.name === "TimeoutError" ? "timeout" : "network", cause };
    } finally {
      const state = this.limited.get(url);
      if (state) state.lastEnd = Date.now();
    }
  }
}
