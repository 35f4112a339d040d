import assert from "node:assert/strict";
import { once } from "../runtime/settings/once";

describe("once", () => {
  it("must build once and share the result between concurrent and later callers", async () => {
    let builds = 0;
    const get = once(async () => ({ build: ++builds }));
    const [a, b] = await Promise.all([get(), get()]);
    assert.equal(a, b);
    assert.equal(await get(), a);
    assert.equal(builds, 1);
  });

  it("must not cache a failed build, so the next call tries again", async () => {
    let builds = 0;
    const get = once(async () => {
      builds += 1;
      if (builds === 1) throw new Error("secret read timed out");
      return "client";
    });
    await assert.rejects(get(), /secret read timed out/);
    assert.equal(await get(), "client");
    assert.equal(builds, 2);
  });
});
