import assert from "node:assert/strict";
import { inspect } from "node:util";
import { currentDeadline, withDeadline } from "../runtime/notion/deadline";
import { NotionApiError } from "../runtime/notion/errors";
import {
  DEADLINE_HEADROOM_MS,
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
    const refused = { name: "RangeError", message: "requestsPerSecond must be positive" };
    assert.throws(() => createPacer(0), refused);
    assert.throws(() => createPacer(-3), refused);
    assert.throws(() => createPacer(Number.NaN), refused);
  });

  it("must tell how long until the next free slot, without taking it", async () => {
    let now = 1_000;
    const pacer = createPacer(2, 0, () => now); // 500 ms apart
    assert.equal(pacer.delay(), 0);
    await pacer.wait(); // takes the slot at 1,000: the next is at 1,500
    assert.equal(pacer.delay(), 500);
    assert.equal(pacer.delay(), 500, "asking twice must not take a slot");
    now = 1_200;
    assert.equal(pacer.delay(), 300);
    now = 2_000;
    assert.equal(pacer.delay(), 0);
    pacer.pause(60_000); // Notion's Retry-After: 60 s from now
    assert.equal(pacer.delay(), 60_000);
  });
});

describe("Notion paced fetch against the invocation's deadline", () => {
  const URL = "https://api.notion.com/v1/pages";
  function counting(): { fetch: FetchLike; calls: string[] } {
    const calls: string[] = [];
    const fetch: FetchLike = (url) => {
      calls.push(url);
      return Promise.resolve(new Response("{}"));
    };
    return { fetch, calls };
  }

  it("must not send, but throw a retryable 429, when the next slot comes after the time left", async () => {
    const now = 1_000_000;
    const pacer = createPacer(3, 10, () => now);
    pacer.pause(30_000); // a Retry-After of 30 s held the pacer back
    const inner = counting();
    // 20 s left: the slot in 30 s does not fit, headroom or not.
    const fetch = pacedFetch(pacer, inner.fetch, { deadline: () => now + 20_000, now: () => now });
    await assert.rejects(fetch(URL, { method: "POST" }), (error: unknown) => {
      assert.ok(error instanceof NotionApiError);
      assert.equal(error.retryable, true);
      assert.equal(error.statusCode, 429);
      assert.equal(error.code, "rate_limited");
      assert.equal(
        error.message,
        "Notion: the next request may start in 30 s (pacing, or Notion's Retry-After), " +
          "after the time this invocation has left; not sent: the event goes back for redelivery.",
      );
      return true;
    });
    assert.deepEqual(inner.calls, []);
  });

  it("must keep DEADLINE_HEADROOM_MS free after the slot: a slot inside the last 3 s is refused", async () => {
    const now = 1_000_000;
    const pacer = createPacer(3, 10, () => now);
    pacer.pause(50);
    const inner = counting();
    // Due in 50 ms, 1 ms short of 50 ms + the headroom left: no time for the request and the page create.
    const late = pacedFetch(pacer, inner.fetch, {
      deadline: () => now + 50 + DEADLINE_HEADROOM_MS - 1,
      now: () => now,
    });
    await assert.rejects(late(URL), NotionApiError);
    assert.deepEqual(inner.calls, []);
    // Exactly 50 ms + the headroom left: it fits, and waits for its slot.
    const fits = pacedFetch(pacer, inner.fetch, {
      deadline: () => now + 50 + DEADLINE_HEADROOM_MS,
      now: () => now,
    });
    const started = Date.now();
    assert.equal((await fits(URL)).status, 200);
    assert.ok(Date.now() - started >= 49, "sent before its slot");
    assert.deepEqual(inner.calls, [URL]);
  });

  it("must send a request whose slot is free even when the deadline is already past", async () => {
    const inner = counting();
    // Nothing to wait for: the request goes out; only Notion's answer can say it is late.
    const fetch = pacedFetch(createPacer(3), inner.fetch, { deadline: () => Date.now() - 1 });
    assert.equal((await fetch(URL)).status, 200);
    assert.deepEqual(inner.calls, [URL]);
  });

  it("must read the clock itself when none is given (the handler passes only the deadline)", async () => {
    const pacer = createPacer(3);
    pacer.pause(60_000);
    const inner = counting();
    const fetch = pacedFetch(pacer, inner.fetch, { deadline: () => Date.now() + 10_000 });
    await assert.rejects(fetch(URL), /may start in 60 s/);
    assert.deepEqual(inner.calls, []);
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
    // Seconds do not depend on the clock (V8 would also read "0" as a date, the year 2000).
    assert.equal(retryAfterMs("0", 0), 0);
    assert.equal(retryAfterMs("Thu, 01 Jan 1970 00:01:30 GMT", 30_000), 60_000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
    // An empty header is an absent one (Number("") would read it as 0 s).
    assert.equal(retryAfterMs(""), undefined);
    assert.equal(retryAfterMs("  "), undefined);
    // RFC 9110 §10.2.3: delay-seconds are digits; a negative delay is no reason to wait.
    assert.equal(retryAfterMs("-5"), 0);
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
    // A 503 with Retry-After is the SDK's to retry (GETs) or the writer's to report: not a rate limit.
    const unavailable = rateLimitGuard(answering(503, "60").fetch, { maxWaitMs: 0, deadline: () => 0 });
    assert.equal((await unavailable(URL)).status, 503);
  });

  it("must leave a Retry-After of exactly the SDK's cap, or exactly the time left, to the SDK", async () => {
    const now = 1_000_000;
    const atCap = rateLimitGuard(answering(429, "10").fetch, { maxWaitMs: 10_000, now: () => now });
    assert.equal((await atCap(URL)).status, 429);
    const atDeadline = rateLimitGuard(answering(429, "10").fetch, {
      maxWaitMs: 60_000,
      deadline: () => now + 10_000 + DEADLINE_HEADROOM_MS,
      now: () => now,
    });
    assert.equal((await atDeadline(URL)).status, 429);
  });

  it("must name the SDK's cap when the wait fits the time left but not the cap, and GET for a request without init", async () => {
    const now = 1_000_000;
    const guarded = rateLimitGuard(answering(429, "20").fetch, {
      maxWaitMs: 10_000,
      deadline: () => now + 20_000 + DEADLINE_HEADROOM_MS, // exactly 20 s left
      now: () => now,
    });
    await assert.rejects(guarded(URL), (error: unknown) => {
      assert.ok(error instanceof NotionApiError);
      assert.equal(
        error.message,
        "Notion: GET /v1/pages answered 429 rate_limited with Retry-After 20 s, more than the 10 s the client waits; " +
          "not retried here: the event goes back for redelivery (Lambda's retries, then the dead-letter queue).",
      );
      return true;
    });
  });

  // The SDK types a response's headers as unknown: a Headers, or a plain object of strings.
  function answer(status: number, headers: unknown): FetchLike {
    return () =>
      Promise.resolve({
        ok: false,
        status,
        headers,
        text: () => Promise.resolve(""),
      }) as ReturnType<FetchLike>;
  }

  it("must read Retry-After from plain-object headers too", async () => {
    const guarded = rateLimitGuard(answer(429, { "retry-after": "60" }), { maxWaitMs: 10_000 });
    await assert.rejects(guarded(URL), /Retry-After 60 s, more than the 10 s the client waits/);
  });

  it("must treat headers that are missing, or hold no string Retry-After, as no Retry-After", async () => {
    for (const headers of [null, undefined, "retry-after: 60", { "retry-after": 60 }, new Map()]) {
      const guarded = rateLimitGuard(answer(429, headers), { maxWaitMs: 0, deadline: () => 0 });
      assert.equal((await guarded(URL)).status, 429, inspect(headers));
    }
  });
});

describe("Notion delivery deadline (the Lambda's time left, carried to the fetch)", () => {
  it("must give the deadline inside withDeadline only, across awaits", async () => {
    assert.equal(currentDeadline(), undefined);
    const seen = await withDeadline(1_234, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentDeadline();
    });
    assert.equal(seen, 1_234);
    assert.equal(currentDeadline(), undefined);
    assert.equal(await withDeadline(undefined, () => Promise.resolve(currentDeadline())), undefined);
  });
});
