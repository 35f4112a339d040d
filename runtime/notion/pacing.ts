/**
 * Client-side pacing under Notion's documented average of three requests per second per
 * integration. It wraps the SDK's `fetch`, so every HTTP attempt — the SDK's own retries
 * included — waits for its slot; retry logic stays the SDK's alone. Pacing instead of reacting
 * to 429s keeps throughput at the allowed rate: a 429 costs a whole `Retry-After` second.
 *
 * The rate-limit guard below decides, per 429/529, whether the SDK's in-process retry is worth
 * it. Notion's Retry-After is whole seconds and can be a minute or more (a per-connection window
 * and a per-workspace limit, developers.notion.com/reference/request-limits); the SDK would wait
 * at most its `maxRetryDelayMs` (10 s here) and retry too early, or wait past the Lambda's
 * timeout. When the wait does not fit, the guard throws a retryable error at once — a
 * non-Notion error, which the SDK never retries — and the event goes back to Lambda's async
 * retries (after 1 and 2 minutes, docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)
 * and finally the dead-letter queue. The writer's idempotency makes that redelivery safe.
 */
import type { Client } from "@notionhq/client";
import { NotionApiError } from "./errors";

/** The `fetch` the SDK accepts (its own type is not exported). */
export type FetchLike = NonNullable<NonNullable<ConstructorParameters<typeof Client>[0]>["fetch"]>;

/** The platform fetch in the SDK's shape. */
export const defaultFetch: FetchLike = (url, init) => fetch(url, init as RequestInit);

/**
 * Time kept free after the wait: the retried request itself (Notion answers in well under a
 * second) and the one request the delivery may still need after it (the page create).
 */
export const DEADLINE_HEADROOM_MS = 3_000;

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

export interface Pacer {
  /** Resolves when the caller may send its request. */
  wait(): Promise<void>;
  /** Holds every request back for `ms` (Notion asked to wait: no use sending before then). */
  pause(ms: number): void;
  /** Milliseconds until the next free slot, without taking it. */
  delay(): number;
}

/**
 * Spaces request starts `1000 / requestsPerSecond + marginMs` apart. The margin absorbs network
 * jitter: two requests sent exactly one window apart can arrive less than a window apart, and a
 * server counting a sliding second then answers 429 — which costs a whole Retry-After second.
 */
export function createPacer(requestsPerSecond: number, marginMs = 10, now: () => number = Date.now): Pacer {
  if (!(requestsPerSecond > 0)) throw new RangeError("requestsPerSecond must be positive");
  const interval = 1000 / requestsPerSecond + marginMs;
  let next = 0;
  return {
    wait() {
      const t = now();
      const slot = Math.max(t, next);
      next = slot + interval;
      // A free slot (delay 0) goes out on the next timer tick: the spacing is what matters.
      return new Promise((resolve) => setTimeout(resolve, slot - t));
    },
    pause(ms) {
      next = Math.max(next, now() + ms);
    },
    delay() {
      return Math.max(0, next - now());
    },
  };
}

export interface PacedFetchOptions {
  /** Epoch ms by which the delivery must be done, when there is one. */
  readonly deadline?: () => number | undefined;
  readonly now?: () => number;
}

/**
 * Every request waits for its slot — unless the slot comes too late for the deadline (after a
 * long Retry-After paused the pacer), which is then a retryable error instead of a wait that
 * outlasts the Lambda's timeout.
 */
export function pacedFetch(
  pacer: Pacer,
  inner: FetchLike = defaultFetch,
  options: PacedFetchOptions = {},
): FetchLike {
  const now = options.now ?? Date.now;
  return async (url, init) => {
    const latest = (options.deadline?.() ?? Number.POSITIVE_INFINITY) - DEADLINE_HEADROOM_MS;
    const delay = pacer.delay();
    if (delay > 0 && now() + delay > latest) {
      throw new NotionApiError(
        `Notion: the next request may start in ${seconds(delay)} (pacing, or Notion's Retry-After), ` +
          "after the time this invocation has left; not sent: the event goes back for redelivery.",
        { retryable: true, statusCode: 429, code: "rate_limited" },
      );
    }
    await pacer.wait();
    return inner(url, init);
  };
}

export interface RateLimitGuardOptions {
  /** The longest Retry-After the SDK's retry waits in process (its `maxRetryDelayMs`). */
  readonly maxWaitMs: number;
  /** Epoch ms by which the delivery must be done (the Lambda's deadline), when there is one. */
  readonly deadline?: () => number | undefined;
  /** Held back for as long as Notion asks, so concurrent requests of this process wait too. */
  readonly pacer?: Pacer;
  readonly now?: () => number;
}

/** Retry-After as Notion sends it (whole seconds), or an HTTP date; undefined when absent. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const delta = Number(value);
  if (Number.isFinite(delta) && delta >= 0) return delta * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A header of the SDK's response type, whose `headers` may be a Headers or a plain object. */
function header(headers: unknown, name: string): string | null {
  if (typeof headers !== "object" || headers === null) return null;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === "function") {
    const value: unknown = get.call(headers, name);
    return typeof value === "string" ? value : null;
  }
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : null;
}

/** Wraps the SDK's `fetch`: 429/529 answers whose Retry-After does not fit become a retryable error. */
export function rateLimitGuard(inner: FetchLike, options: RateLimitGuardOptions): FetchLike {
  const now = options.now ?? Date.now;
  return async (url, init) => {
    const response = await inner(url, init);
    if (response.status !== 429 && response.status !== 529) return response;
    const wait = retryAfterMs(header(response.headers, "retry-after"), now());
    if (wait === undefined) return response; // no Retry-After: the SDK's own back-off applies
    options.pacer?.pause(wait);
    const deadline = options.deadline?.();
    const left = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - now() - DEADLINE_HEADROOM_MS;
    const fits = wait <= options.maxWaitMs && wait <= left;
    if (fits) return response;
    await response.text(); // frees the connection
    const code = response.status === 429 ? "rate_limited" : "service_overload";
    const limit =
      wait > left
        ? `more than the ${seconds(Math.max(0, left))} this invocation has left`
        : `more than the ${seconds(options.maxWaitMs)} the client waits`;
    const where = `${(init?.method ?? "GET").toUpperCase()} ${new URL(url).pathname}`;
    throw new NotionApiError(
      `Notion: ${where} answered ${response.status} ${code} with Retry-After ${seconds(wait)}, ${limit}; ` +
        "not retried here: the event goes back for redelivery (Lambda's retries, then the dead-letter queue).",
      { retryable: true, statusCode: response.status, code },
    );
  };
}
