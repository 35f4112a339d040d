import assert from "node:assert/strict";
import { NotionApiError } from "../runtime/notion/errors";
import {
  type FetchLike,
  createPacer,
  pacedFetch,
  rateLimitGuard,
  retryAfterMs,
} from "../runtime/notion/pacing";

describe("Notion client-side pacing", () => {
  it("must space request starts 1000/rps + margin apart, without bursting", async () => {
    const pacer = createPacer(20, 5); // 55 ms apart
    const starts: number[] = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => pacer.wait().then(() => starts.push(Date.now() - t0))));
    starts.sort((a, b) => a - b);
    // Timers never fire early (Node rounds to the millisecond): the k-th start is at ≥ k slots.
    starts.forEach((at, k) => assert.ok(at >= k * 55 - 1, `start ${k} at ${at} ms`));
  });

  it("must let a request through at once after a quiet period", async () => {
    let now = 0;
    const pacer = createPacer(3, 10, () => now);
    await pacer.wait();
    now = 10_000;
    const t = Date.now();
    await pacer.wait();
    assert.ok(Date.now() - t < 20);
  });

  it("must pace every call through the wrapped fetch", async () => {
    const calls: string[] = [];
    const inner = async (url: string) => {
      calls.push(url);
      return new Response("{}");
    };
    const fetch = pacedFetch(createPacer(1000, 0), inner);
    await Promise.all([fetch("a"), fetch("b")]);
    assert.deepEqual(calls.sort(), ["a", "b"]);
  });

  it("must refuse a non-positive rate", () => {
    assert.throws(() => createPacer(0), RangeError);
  });
});

describe("Notion rate-limit guard (Retry-After against the time left)", () => {
  const URL = "https://api.notion.com/v1/pages";
  function answering(status: number, retryAfter?: string): { fetch: FetchLike; calls: () => number } {
    let calls = 0;
    const fetch: FetchLike = () => {
      calls += 1;
      const headers: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": retryAfter };
      return Promise.resolve(new Response(JSON.stringify({ code: "rate_limited" }), { status, headers }));
    };
    return { fetch, calls: () => calls };
  }

  it("must read Retry-After as whole seconds (Notion) or an HTTP date, and nothing when absent", () => {
    assert.equal(retryAfterMs("60"), 60_000);
    assert.equal(retryAfterMs("0"), 0);
    assert.equal(retryAfterMs("Thu, 01 Jan 1970 00:01:30 GMT", 30_000), 60_000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
  });

  it("must throw a retryable 429 at once when Retry-After exceeds the invocation's time left", async () => {
    const now = 1_000_000;
    const upstream = answering(429, "60");
    const guarded = rateLimitGuard(upstream.fetch, {
      maxWaitMs: 60_000,
      deadline: () => now + 25_000,
      now: () => now,
    });
    await assert.rejects(guarded(URL, { method: "POST" }), (error: unknown) => {
      assert.ok(error instanceof NotionApiError);
      assert.equal(error.retryable, true);
      assert.equal(error.statusCode, 429);
      assert.equal(error.code, "rate_limited");
      assert.match(
        error.message,
        /^Notion: POST \/v1\/pages answered 429 rate_limited with Retry-After 60 s, more than the 22 s this invocation has left; not retried here/,
      );
      return true;
    });
    assert.equal(upstream.calls(), 1);
  });

  it("must leave a Retry-After that fits to the SDK's retry, and hold this process's pacer back for it", async () => {
    let now = 1_000_000;
    const pacer = createPacer(1000, 0, () => now);
    const upstream = answering(429, "2");
    const guarded = rateLimitGuard(upstream.fetch, {
      maxWaitMs: 10_000,
      deadline: () => now + 25_000,
      pacer,
      now: () => now,
    });
    assert.equal((await guarded(URL)).status, 429);
    // The next request of this process is due only when Notion's 2 s are over.
    now += 1_000;
    const started = Date.now();
    const waiting = pacer.wait();
    now += 1_000;
    await waiting;
    assert.ok(Date.now() - started >= 990, "the pacer let a request through inside Retry-After");
  });

  it("must not let the SDK retry early: a Retry-After over its 10 s cap throws even without a deadline", async () => {
    const guarded = rateLimitGuard(answering(529, "30").fetch, { maxWaitMs: 10_000 });
    await assert.rejects(
      guarded(URL),
      (error: unknown) =>
        error instanceof NotionApiError &&
        error.retryable &&
        error.code === "service_overload" &&
        /Retry-After 30 s, more than the 10 s the client waits/.test(error.message),
    );
  });

  it("must pass other answers through untouched", async () => {
    const guarded = rateLimitGuard(answering(500).fetch, { maxWaitMs: 0, deadline: () => 0 });
    assert.equal((await guarded(URL)).status, 500);
    const noHeader = rateLimitGuard(answering(429).fetch, { maxWaitMs: 0, deadline: () => 0 });
    assert.equal((await noHeader(URL)).status, 429);
  });
});
