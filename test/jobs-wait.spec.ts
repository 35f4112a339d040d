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
});
