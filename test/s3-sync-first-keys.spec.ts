/**
 * The integrity check lists at most MAX_KEYS_LISTED mismatched and unverified keys of a bucket that
 * may hold millions: the first ones in S3's order, kept in bounded memory whatever the order they
 * are found in (copies are compared concurrently, so they finish out of order).
 */
import assert from "node:assert/strict";
import { FirstKeys } from "../runtime/jobs/s3-sync";

describe("S3 comparison: the first keys of a long list (FirstKeys)", () => {
  it("must list the smallest keys in order, whatever the order they were added in", () => {
    const first = new FirstKeys(3);
    for (const key of ["m", "c", "x", "a", "k", "b", "z", "d"]) first.add(key);
    assert.deepEqual(first.list(), ["a", "b", "c"]);
  });

  it("must list every key, in order, while there are no more than max", () => {
    const first = new FirstKeys(5);
    for (const key of ["e", "a", "d"]) first.add(key);
    assert.deepEqual(first.list(), ["a", "d", "e"]);
  });

  it("must hold no more than twice max keys however many are added, and only trim past that", () => {
    const first = new FirstKeys(4);
    const keys = Array.from({ length: 1000 }, (_, i) => `k${String((i * 7919) % 1000).padStart(4, "0")}`);
    let most = 0;
    keys.forEach((key, i) => {
      first.add(key);
      most = Math.max(most, first.held);
      if (i < 8) assert.equal(first.held, i + 1, "nothing dropped up to 2 × max");
    });
    assert.equal(most, 8, "at most 2 × max held");
    assert.deepEqual(first.list(), ["k0000", "k0001", "k0002", "k0003"]);
  });
});
