import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { runDrill } from "../runtime/drills";
import { sampleObjects } from "../runtime/drills/s3";
import { sampleSize } from "../runtime/drills/settings";
import type { ListedObject } from "../runtime/jobs/s3-listing";
import { runBackups } from "../runtime/jobs";
import { drillDeps, FAST_DRILL_WAITS, recordCalls } from "./drill-fixtures";
import { BACKUP_BUCKET, drainQueue, motoS3, testDeps, useJobsAws } from "./jobs-fixtures";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function* listing(n: number): AsyncGenerator<ListedObject> {
  for (let i = 0; i < n; i++) yield { key: `k${String(i).padStart(6, "0")}`, size: 1, etag: '"e"' };
}

describe("S3 restore drill: sample size", () => {
  const settings = { s3Sample: 100, s3SampleMax: 1_000 };

  it("must read back 100 objects or 1 % of the bucket, whichever is larger, capped, never more than there are", () => {
    assert.equal(sampleSize(40, settings), 40);
    assert.equal(sampleSize(5_000, settings), 100);
    assert.equal(sampleSize(20_000, settings), 200);
    assert.equal(sampleSize(10_000_000, settings), 1_000);
  });

  it("must draw distinct keys from the whole bucket while holding at most the cap", async () => {
    const sample = await sampleObjects(listing(20_000), settings);
    assert.equal(sample.total, 20_000);
    assert.equal(sample.objects.length, 200);
    assert.equal(new Set(sample.objects.map((o) => o.key)).size, 200);
    // Keys from beyond the first reservoir fill are drawn too (uniform over the bucket).
    assert.ok(sample.objects.some((o) => o.key >= "k001000"));
  });
});

describe("S3 restore drill", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });
  const SOURCE = "drox-app-data";

  async function backedUpBucket(keys: readonly string[]): Promise<void> {
    const s3 = motoS3();
    await s3.send(new CreateBucketCommand({ Bucket: SOURCE }));
    for (const key of keys)
      await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: key, Body: `content of ${key}`.repeat(50) }));
    const [result] = await runBackups("S3", { resources: [SOURCE] }, testDeps(aws.fixture.env));
    assert.equal(result!.status, "SUCCEEDED");
    await drainQueue(aws.fixture);
  }

  it("must read every sampled object back in full and find a corrupted and a deleted backup object by key", async () => {
    const keys = ["a.txt", "b/c.txt", "d.bin", "e.txt", "f.txt"];
    await backedUpBucket(keys);
    const s3 = motoS3();
    // Same size, different bytes: an ETag-free comparison must still catch it.
    await s3.send(
      new PutObjectCommand({
        Bucket: BACKUP_BUCKET,
        Key: `${SOURCE}/b/c.txt`,
        Body: `content of b/c.txX`.repeat(50),
      }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: BACKUP_BUCKET, Key: `${SOURCE}/d.bin` }));
    const client = motoS3();
    const calls = recordCalls(client);
    const drill = await runDrill(
      "S3",
      { resources: [SOURCE], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env, { s3: client }),
    );
    const [r] = drill.resources;
    assert.equal(drill.status, "FAILED");
    assert.equal(r!.status, "FAILED");
    assert.deepEqual(r!.sample, {
      objects: 5,
      // Every object read back except the missing one: three of 16 × 50 bytes, b/c.txt 18 × 50.
      bytes: 3 * 50 * 16 + 50 * 18,
      sourceObjects: 5,
    });
    assert.deepEqual(
      r!.findings.map((f) => [f.severity, f.resource, f.message]),
      [
        [
          "CRITICAL",
          `s3://${BACKUP_BUCKET}/${SOURCE}/b/c.txt`,
          `content differs from the source: backup sha256 ${sha256("content of b/c.txX".repeat(50)).slice(0, 12)}… (900 bytes), ` +
            `source sha256 ${sha256("content of b/c.txt".repeat(50)).slice(0, 12)}… (900 bytes)`,
        ],
        [
          "CRITICAL",
          `s3://${BACKUP_BUCKET}/${SOURCE}/d.bin`,
          `missing from the backup (source s3://${SOURCE}/d.bin)`,
        ],
      ],
    );
    // Read back by GetObject (bodies hashed), never judged by HEAD/ETag.
    // (The call recorder sees answered calls: the missing object's NoSuchKey is not among them.)
    const gets = calls.filter((c) => c.command === "GetObjectCommand");
    assert.equal(gets.filter((c) => c.input.Bucket === SOURCE).length, 5);
    assert.equal(gets.filter((c) => c.input.Bucket === BACKUP_BUCKET).length, 4);
    assert.equal(calls.filter((c) => c.command === "HeadObjectCommand").length, 0);
  });

  it("must pass a bucket whose backup matches byte for byte", async () => {
    await backedUpBucket(["x.txt", "y.txt"]);
    const drill = await runDrill("S3", { resources: [SOURCE] }, drillDeps(aws.fixture.env));
    assert.equal(drill.status, "SUCCEEDED");
    assert.deepEqual(drill.resources[0]!.findings, []);
    assert.deepEqual(drill.verification, { dbVerified: false, securityCheck: true });
  });
});
