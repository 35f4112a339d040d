import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, DroxError } from "../runtime/contract/errors";
import { copySource, partRanges } from "../runtime/jobs/s3-copy";
import { bucketError, copyFailureMessage, describeS3Error, formatS3Error } from "../runtime/jobs/s3-errors";
import { CHECKPOINT_EVERY_PAIRS, CHECKPOINT_SLOTS, EtagPairs } from "../runtime/jobs/s3-etag-pairs";
import { compareKeys, joinListings, type ListedObject } from "../runtime/jobs/s3-listing";
import { s3SyncConcurrencyFromEnv } from "../runtime/jobs/s3-sync";

async function* listing(keys: string[]): AsyncGenerator<ListedObject> {
  for (const key of keys) yield { key, size: 1, etag: `"${key}"` };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("S3 sync building blocks", () => {
  it("must pair every source key with its backup and report backup-only keys", async () => {
    const backupOnly: string[] = [];
    const joined = await collect(
      joinListings(listing(["a", "c", "d", "f"]), listing(["b", "c", "e", "f", "g"]), (b) =>
        backupOnly.push(b.key),
      ),
    );
    assert.deepEqual(
      joined.map((j) => [j.source.key, j.backup?.key ?? null]),
      [
        ["a", null],
        ["c", "c"],
        ["d", null],
        ["f", "f"],
      ],
    );
    assert.deepEqual(backupOnly, ["b", "e", "g"]);
  });

  it("must join any two key sets exactly as a set lookup would", async () => {
    const key = fc.string({ unit: "binary", minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key), fc.uniqueArray(key), async (src, bak) => {
        const s = [...src].sort(compareKeys);
        const b = [...bak].sort(compareKeys);
        const joined = await collect(joinListings(listing(s), listing(b)));
        const inBackup = new Set(b);
        assert.deepEqual(
          joined.map((j) => [j.source.key, j.backup?.key]),
          s.map((k) => [k, inBackup.has(k) ? k : undefined]),
        );
      }),
    );
  });

  it("must order keys by UTF-8 bytes as S3 lists them", () => {
    assert.ok("\u{1F600}" < "\uFFFD", "UTF-16 order puts the emoji first");
    assert.ok(compareKeys("\uFFFD", "\u{1F600}") < 0, "UTF-8 order puts it last");
    assert.equal(compareKeys("a/b", "a/b"), 0);
  });

  it("must split a large object into ranges within S3's part limits", () => {
    const MiB = 1024 * 1024;
    assert.deepEqual(partRanges(12 * MiB, 5 * MiB), [
      { start: 0, end: 5 * MiB - 1 },
      { start: 5 * MiB, end: 10 * MiB - 1 },
      { start: 10 * MiB, end: 12 * MiB - 1 },
    ]);
    // 5 TiB at 5 MiB parts would be a million parts: the part size grows to stay at 10,000.
    const huge = partRanges(5 * 1024 ** 4, 5 * MiB);
    assert.equal(huge.length, 10_000);
    assert.equal(huge.at(-1)?.end, 5 * 1024 ** 4 - 1);
    // Below 5 MiB a part is refused by S3, whatever the caller asks.
    assert.equal(partRanges(20 * MiB, 1024)[0]?.end, 5 * MiB - 1);
    // A size that is a whole number of parts ends with a full part, not an empty one after it.
    assert.deepEqual(partRanges(10 * MiB, 5 * MiB), [
      { start: 0, end: 5 * MiB - 1 },
      { start: 5 * MiB, end: 10 * MiB - 1 },
    ]);
    assert.equal(partRanges(20 * MiB, 1024).length, 4);
  });

  it("must URL-encode copy sources but keep the slashes between key segments", () => {
    assert.equal(copySource("src", "dir/a b+c%.txt"), "src/dir/a%20b%2Bc%25.txt");
    assert.equal(copySource("src", "résumé"), "src/r%C3%A9sum%C3%A9");
  });

  it("must describe SDK errors in one line without stack traces", () => {
    const sdkError = Object.assign(new Error("The specified bucket does not exist"), {
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
      $fault: "client",
    });
    assert.deepEqual(describeS3Error(sdkError), {
      code: "NoSuchBucket",
      message: "The specified bucket does not exist",
      statusCode: 404,
      retryable: false,
    });
    assert.equal(formatS3Error(sdkError), "NoSuchBucket: The specified bucket does not exist");
    const throttled = Object.assign(new Error("Please reduce your request rate."), {
      name: "SlowDown",
      $metadata: { httpStatusCode: 503 },
    });
    assert.equal(describeS3Error(throttled).retryable, true);
    const headError = Object.assign(new Error("UnknownError"), {
      name: "403",
      $metadata: { httpStatusCode: 403 },
    });
    const wrapped = bucketError("backup", "bk", "list", headError);
    assert.ok(wrapped instanceof DroxError);
    assert.equal(wrapped.message, 'Cannot list S3 backup bucket "bk": 403: UnknownError');
    assert.equal(wrapped.statusCode, 403);
    assert.equal(wrapped.cause, headError);
  });

  it("must say which region a bucket is in when a request to it cannot be redirected there", () => {
    const optIn = Object.assign(new Error("The eu-south-2 location constraint is not valid"), {
      name: "IllegalLocationConstraintException",
      $metadata: { httpStatusCode: 400 },
      $response: { headers: { "x-amz-bucket-region": "eu-south-2" } },
    });
    assert.equal(
      bucketError("source", "madrid-data", "list", optIn).message,
      'Cannot list S3 source bucket "madrid-data": the bucket is in region eu-south-2, which the request ' +
        "could not be redirected to; enable that region for the account or back the bucket up from a stack there " +
        "(IllegalLocationConstraintException)",
    );
  });

  it("must add the fix to a copy refused by the source's KMS key, and only then", () => {
    const disabled = Object.assign(new Error("The key is disabled"), {
      name: "KMS.DisabledException",
      $metadata: { httpStatusCode: 400 },
    });
    assert.match(
      copyFailureMessage(disabled, "src"),
      /^KMS\.DisabledException: The key is disabled \(source bucket "src" encrypts .* kms:Decrypt/,
    );
    const plain = Object.assign(new Error("Access Denied"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    assert.equal(copyFailureMessage(plain, "src"), "AccessDenied: Access Denied");
  });

  it("must store the pairs of ETags only when they changed, and keep unreached ones after an interrupted run", () => {
    const known = new Map([
      ["b1", "s1"],
      ["b2", "s2"],
    ]);
    const unchanged = new EtagPairs(known);
    assert.ok(unchanged.matches('"b1"', '"s1"'));
    assert.ok(unchanged.matches("b2", "s2"));
    assert.equal(unchanged.toStore(true), undefined, "nothing to write");
    assert.equal(unchanged.toStore(false), undefined);

    const run = new EtagPairs(known);
    assert.ok(!run.matches("b2", "s2-edited"), "a pair holds for one source ETag only");
    assert.ok(run.matches("b1", "s1"));
    run.record('"b3"', '"s3"');
    run.record("same", "same");
    assert.deepEqual(
      [...run.toStore(true)!],
      [
        ["b1", "s1"],
        ["b3", "s3"],
      ],
      "a complete run keeps what it saw",
    );
    assert.deepEqual(
      [...run.toStore(false)!].sort(),
      [
        ["b1", "s1"],
        ["b2", "s2"],
        ["b3", "s3"],
      ],
      "an interrupted run keeps the pairs of objects it did not reach",
    );
  });

  it("must fold unfolded checkpoint slots into the file, never replace a file it could not read, and keep a failed checkpoint's pairs", () => {
    const known = new Map([["b1", "s1"]]);
    const slots = new Map([
      ["slot-00", { etag: "e0", folded: true }],
      ["slot-01", { etag: "e1", folded: false }],
    ]);
    const afterCrash = new EtagPairs(known, { slots });
    assert.ok(afterCrash.matches("b1", "s1"));
    assert.deepEqual(
      [...afterCrash.toStore(true)!],
      [["b1", "s1"]],
      "unchanged pairs, but a slot to fold in",
    );
    assert.deepEqual(afterCrash.foldedSlots(), { "slot-00": "e0", "slot-01": "e1" });
    afterCrash.stored(1);
    assert.equal(afterCrash.slot("slot-01")?.folded, true);
    assert.equal(afterCrash.toStore(true), undefined, "nothing left to fold");

    const unreadable = new EtagPairs(new Map(), { unreadable: "AccessDenied: Access Denied" });
    unreadable.record("b2", "s2");
    assert.equal(unreadable.toStore(true), undefined);
    assert.equal(unreadable.toStore(false), undefined);
    assert.equal(unreadable.freshCount, 1, "the new pair waits for a checkpoint");

    const run = new EtagPairs(known);
    run.record("b1", "s1");
    assert.equal(run.freshCount, 0, "a stored pair is not fresh");
    run.record("b2", "s2");
    run.record("b2", "s2");
    run.record("b3", "s3");
    assert.equal(run.freshCount, 2);
    assert.ok(run.checkpointDue(2));
    assert.ok(!run.checkpointDue(3));
    const taken = run.takeFresh();
    assert.deepEqual(
      [...taken],
      [
        ["b2", "s2"],
        ["b3", "s3"],
      ],
    );
    assert.equal(run.freshCount, 0);
    run.record("b4", "s4");
    run.putBack(taken);
    assert.equal(run.freshCount, 3, "a failed checkpoint's pairs go into the next");
    run.wrote("slot-00", '"e9"');
    assert.deepEqual(run.slot("slot-00"), { etag: "e9", folded: false });
    assert.equal(run.sourceOf('"b3"'), "s3");
    assert.equal(run.sourceOf("b9"), undefined);
  });

  it("must size checkpoints by the file, so rewriting it every CHECKPOINT_SLOTS checkpoints at least doubles it", () => {
    const big = new Map(Array.from({ length: 64_000 }, (_, i): [string, string] => [`b${i}`, `s${i}`]));
    const run = new EtagPairs(big);
    for (let i = 0; i < 3999; i++) run.record(`n${i}`, `m${i}`);
    assert.ok(!run.checkpointDue(CHECKPOINT_EVERY_PAIRS), "4,000 = 64,000 / 16 pairs are due, not 3,999");
    run.record("n-last", "m-last");
    assert.ok(run.checkpointDue(CHECKPOINT_EVERY_PAIRS));
    assert.equal(CHECKPOINT_SLOTS, 16);
  });

  it("must read S3_SYNC_CONCURRENCY in the declared runtime range 1–512, default 16, and reject nonsense", () => {
    // One range with the settings declaration (issue 17): 1000 was accepted here while the
    // declaration allowed 512.
    assert.equal(s3SyncConcurrencyFromEnv({}), 16);
    assert.equal(s3SyncConcurrencyFromEnv({ S3_SYNC_CONCURRENCY: "32" }), 32);
    assert.equal(s3SyncConcurrencyFromEnv({ S3_SYNC_CONCURRENCY: "512" }), 512);
    for (const bad of ["0", "-1", "2.5", "lots", "513", "1000"]) {
      assert.throws(() => s3SyncConcurrencyFromEnv({ S3_SYNC_CONCURRENCY: bad }), ConfigError);
    }
  });
});
