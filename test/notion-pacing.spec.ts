import assert from "node:assert/strict";
import { createPacer, pacedFetch } from "../runtime/notion/pacing";

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
