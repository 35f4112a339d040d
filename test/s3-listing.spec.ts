import assert from "node:assert/strict";
import { S3Client } from "@aws-sdk/client-s3";
import { joinListings, listObjects, type ListedObject } from "../runtime/jobs/s3-listing";
import { fakeListings } from "./support/s3-requests";

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
