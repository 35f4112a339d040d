import assert from "node:assert/strict";
import { waitBounds } from "../runtime/jobs/wait";

describe("waiter bounds within a run's deadline", () => {
  it("must keep the configured delays when there is time", () => {
    const b = waitBounds(Date.now() + 1800_000, 15, 120);
    assert.ok(b.maxWaitTime > 1799 && b.maxWaitTime <= 1800);
    assert.equal(b.minDelay, 15);
    assert.equal(b.maxDelay, 120);
  });

  it("must shrink the delays below the time left, so the SDK waiter accepts them and polls", () => {
    for (const left of [10_000, 2_000, 1_200, 0, -5_000]) {
      const b = waitBounds(Date.now() + left, 15, 120);
      assert.ok(b.maxWaitTime > b.minDelay, `maxWaitTime ${b.maxWaitTime} > minDelay ${b.minDelay}`);
      assert.ok(b.minDelay > 0 && b.maxDelay >= b.minDelay && b.maxDelay <= b.maxWaitTime);
      assert.ok(b.maxWaitTime <= Math.max(1, left / 1000), "never past the deadline (one second at least)");
    }
  });

  it("must give the whole time left, polls at half of it at most, and the longest delay no later than the deadline", () => {
    const b = waitBounds(Date.now() + 10_000, 15, 120);
    assert.ok(b.maxWaitTime > 9.9 && b.maxWaitTime <= 10, `maxWaitTime ${b.maxWaitTime}`);
    assert.equal(b.minDelay, b.maxWaitTime / 2);
    assert.equal(b.maxDelay, b.maxWaitTime);
  });

  it("must wait one second at least once the deadline has passed: polls at 0.5 s, up to 1 s", () => {
    assert.deepEqual(waitBounds(Date.now() - 60_000, 15, 120), {
      maxWaitTime: 1,
      minDelay: 0.5,
      maxDelay: 1,
    });
  });

  it("must never make the longest delay shorter than the shortest", () => {
    const b = waitBounds(Date.now() + 100_000, 5, 2);
    assert.equal(b.minDelay, 5);
    assert.equal(b.maxDelay, 5);
  });
});
