/**
 * Client-side pacing under Notion's documented average of three requests per second per
 * integration. It wraps the SDK's `fetch`, so every HTTP attempt — the SDK's own retries
 * included — waits for its slot; retry logic stays the SDK's alone. Pacing instead of reacting
 * to 429s keeps throughput at the allowed rate: a 429 costs a whole `Retry-After` second.
 */
import type { Client } from "@notionhq/client";

/** The `fetch` the SDK accepts (its own type is not exported). */
export type FetchLike = NonNullable<NonNullable<ConstructorParameters<typeof Client>[0]>["fetch"]>;

const globalFetch: FetchLike = (url, init) => fetch(url, init as RequestInit);

export interface Pacer {
  /** Resolves when the caller may send its request. */
  wait(): Promise<void>;
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
      const delay = slot - t;
      return delay <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, delay));
    },
  };
}

export function pacedFetch(pacer: Pacer, inner: FetchLike = globalFetch): FetchLike {
  return async (url, init) => {
    await pacer.wait();
    return inner(url, init);
  };
}
