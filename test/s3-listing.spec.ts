import assert from "node:assert/strict";
import {
  S3Client,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import fc from "fast-check";
import { compareKeys, joinListings, listObjects, type ListedObject } from "../runtime/jobs/s3-listing";
import { fakeListings } from "./support/s3-requests";

/**
 * ListObjectsV2 answering the given pages as they are, empty ones included: S3 may return a
 * truncated page with no keys (ListObjectsV2 documents that a response can hold fewer keys than
 * MaxKeys, even none, with IsTruncated true; https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
 */
function pagedListings(s3: S3Client, buckets: Record<string, readonly (readonly string[])[]>): void {
  s3.middlewareStack.add(
    () => async (args) => {
      const input = args.input as ListObjectsV2CommandInput;
      const pages = buckets[input.Bucket ?? ""] ?? [];
      const at = Number(input.ContinuationToken ?? "0");
      const truncated = at + 1 < pages.length;
      const output: ListObjectsV2CommandOutput = {
        $metadata: { httpStatusCode: 200 },
        Contents: (pages[at] ?? []).map((Key) => ({ Key, Size: 1, ETag: `"${Key}"` })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: String(at + 1) } : {}),
      };
      return { output, response: {} };
    },
    { step: "initialize", name: "pagedListings" },
  );
}

/** Keys split into pages at the given cut points (repeated cuts make empty pages). */
function split(keys: readonly string[], cuts: readonly number[]): string[][] {
  const at = [0, ...cuts.map((c) => c % (keys.length + 1)).sort((a, b) => a - b), keys.length];
  return at.slice(1).map((end, i) => keys.slice(at[i], end));
}

async function* oneByOne(keys: readonly string[]): AsyncGenerator<ListedObject> {
  for (const key of keys) yield { key, size: 1, etag: `"${key}"` };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function keys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("S3 listings", () => {
  it("must ask for both buckets' first pages before either answers", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const fake = fakeListings(s3, { src: keys("k", 2500), bak: keys("src/k", 1200) }, 30);
    const source = listObjects({ s3, bucket: "src", role: "source" });
    const backup = listObjects({ s3, bucket: "bak", role: "backup", prefix: "src/" });
    const it = joinListings(source, backup)[Symbol.asyncIterator]();
    await it.next();
    assert.deepEqual(
      fake.requests
        .slice(0, 2)
        .map((r) => [r.bucket, r.token])
        .sort(),
      [
        ["bak", undefined],
        ["src", undefined],
      ],
    );
    assert.ok(
      fake.requests[1]!.sentAt < fake.requests[0]!.answeredAt,
      "the second listing started while the first page was still on its way",
    );
    await it.return(undefined);
  });

  it("must join every key once, in order, with its backup, across pages", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const all = keys("k", 2500);
    // Every third key is backed up already, plus one the source no longer has.
    const backedUp = [...all.filter((_, i) => i % 3 === 0), "k999999"].map((k) => `src/${k}`);
    fakeListings(s3, { src: all, bak: backedUp }, 1);
    const backupOnly: string[] = [];
    const joined = await collect(
      joinListings(
        listObjects({ s3, bucket: "src", role: "source" }),
        listObjects({ s3, bucket: "bak", role: "backup", prefix: "src/" }),
        (b) => backupOnly.push(b.key),
      ),
    );
    assert.deepEqual(
      joined.map((j) => j.source.key),
      all,
    );
    assert.deepEqual(
      joined.flatMap((j) => (j.backup ? [j.backup.key] : [])),
      all.filter((_, i) => i % 3 === 0),
    );
    assert.deepEqual(backupOnly, ["k999999"]);
  });

  it("must fetch no more than prefetchPages pages ahead of a reader that pauses", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const fake = fakeListings(s3, { src: keys("k", 10_500) }, 1);
    const it = listObjects({ s3, bucket: "src", role: "source", prefetchPages: 3 })[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal((first.value as ListedObject).key, "k000000");
    await sleep(100);
    // The page being read plus three ahead: four requests of the eleven pages.
    assert.equal(fake.requests.length, 4);
    let count = 1;
    while (!(await it.next()).done) count += 1;
    assert.equal(count, 10_500);
    assert.deepEqual(
      fake.requests.map((r) => r.token),
      [undefined, ...keys("", 10).map((_, i) => String((i + 1) * 1000))],
      "each page asked for once, in order",
    );
  });

  it("must order any two keys as S3 does, by their UTF-8 bytes", () => {
    // Every code point, surrogate pairs included (S3 keys are valid UTF-8: no lone surrogates).
    const key = fc.string({ unit: "binary", maxLength: 6 });
    fc.assert(
      fc.property(key, key, (a, b) => {
        const expected = Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
        assert.equal(Math.sign(compareKeys(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }),
      { numRuns: 5000 },
    );
    // The cases UTF-16 gets wrong, and a prefix: beyond U+FFFF sorts after U+E000–U+FFFF.
    assert.ok(compareKeys("\u{1F600}", "\uE000") > 0);
    assert.ok(compareKeys("\uFFFF", "\u{10000}") < 0);
    assert.ok(compareKeys("\u{10000}", "\u{10001}") < 0);
    assert.ok(compareKeys("\uD7FF", "\u{10000}") < 0);
    assert.ok(compareKeys("백업/a", "백업") > 0);
    assert.ok(compareKeys("a", "b") < 0 && compareKeys("b", "a") > 0);
  });

  it("must join listings read a page at a time, empty pages included, exactly as object by object", async () => {
    const key = fc.string({ unit: "binary", minLength: 1, maxLength: 3 });
    const cuts = fc.array(fc.nat(), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key), fc.uniqueArray(key), cuts, cuts, async (src, bak, sc, bc) => {
        const s = [...src].sort(compareKeys);
        const b = [...bak].sort(compareKeys);
        const s3 = new S3Client({ region: "us-east-1" });
        pagedListings(s3, { src: split(s, sc), bak: split(b, bc) });
        const pagedOnly: string[] = [];
        const paged = await collect(
          joinListings(
            listObjects({ s3, bucket: "src", role: "source" }),
            listObjects({ s3, bucket: "bak", role: "backup" }),
            (o) => pagedOnly.push(o.key),
          ),
        );
        const plainOnly: string[] = [];
        const plain = await collect(joinListings(oneByOne(s), oneByOne(b), (o) => plainOnly.push(o.key)));
        const inBackup = new Set(b);
        const expected = s.map((k) => [k, inBackup.has(k) ? k : undefined]);
        assert.deepEqual(
          paged.map((j) => [j.source.key, j.backup?.key]),
          expected,
        );
        assert.deepEqual(
          plain.map((j) => [j.source.key, j.backup?.key]),
          expected,
        );
        const inSource = new Set(s);
        assert.deepEqual(
          pagedOnly,
          b.filter((k) => !inSource.has(k)),
        );
        assert.deepEqual(plainOnly, pagedOnly);
      }),
      { numRuns: 300 },
    );
  });

  it("must keep listing while the reader works, at one round trip a page", async () => {
    const s3 = new S3Client({ region: "us-east-1" });
    const latency = 40;
    const fake = fakeListings(s3, { src: keys("k", 8000) }, latency);
    for await (const o of listObjects({ s3, bucket: "src", role: "source" })) {
      // The reader spends as long on a page as a round trip takes.
      if (o.key.endsWith("999")) await sleep(latency);
    }
    const gaps = fake.requests.slice(1).map((r, i) => r.sentAt - fake.requests[i]!.answeredAt);
    assert.equal(fake.requests.length, 8);
    assert.ok(
      gaps.every((gap) => gap < latency / 2),
      `each page is requested as its predecessor arrives, not when the reader reaches it: gaps ${gaps.join(", ")} ms`,
    );
  });
});
