/**
 * `restore s3` against moto's versioned backup bucket: each object as of `--at` across several
 * versions and a delete marker, a refused overwrite (named) and `--overwrite`, a dry run that copies
 * and records nothing.
 */
import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RestoreEvent } from "../runtime/contract/events";
import {
  createRestoreDeps,
  restoreS3,
  RestoreRefused,
  type RestoreDeps,
  type S3RestoreItem,
} from "../runtime/restore";
import { BACKUP_BUCKET, drainQueue, motoS3, useJobsAws } from "./jobs-fixtures";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function deps(env: Record<string, string>): RestoreDeps {
  return createRestoreDeps({}, { requestedBy: "alice" }, { ...process.env, ...env });
}

async function put(s3: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Every object of `bucket` under `prefix` as key → content. */
async function contents(s3: S3Client, bucket: string, prefix = ""): Promise<Record<string, string>> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const result: Record<string, string> = {};
  for (const o of out.Contents ?? []) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
    result[o.Key!] = await object.Body!.transformToString();
  }
  return result;
}

describe("restore s3", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });
  let s3: S3Client;
  /** Instants between the backup's three states (S3 lists modification times to the second). */
  let t1: Date;
  let t2: Date;

  beforeEach(async () => {
    s3 = motoS3();
    // The backup of bucket "logs" as the sync leaves it: BACKUP_BUCKET/logs/<key>, versioned.
    await put(s3, BACKUP_BUCKET, "logs/a.txt", "a1");
    await put(s3, BACKUP_BUCKET, "logs/b.txt", "b1");
    await put(s3, BACKUP_BUCKET, "logs/dir/d.txt", "d1");
    await put(s3, BACKUP_BUCKET, "logs-archive/x.txt", "not logs");
    await sleep(1_100);
    t1 = new Date();
    await sleep(1_100);
    await put(s3, BACKUP_BUCKET, "logs/a.txt", "a2");
    await s3.send(new DeleteObjectCommand({ Bucket: BACKUP_BUCKET, Key: "logs/b.txt" }));
    await sleep(1_100);
    t2 = new Date();
    await sleep(1_100);
    await put(s3, BACKUP_BUCKET, "logs/a.txt", "a3");
    await put(s3, BACKUP_BUCKET, "logs/c.txt", "c3");
    await s3.send(new CreateBucketCommand({ Bucket: "restored" }));
  });

  it("must copy each object as it was at --at, skipping keys deleted by then or created later", async () => {
    const d = deps(aws.fixture.env);
    const first = await restoreS3(d, { source: "logs", at: t1, to: "restored/t1", timeoutSeconds: 60 });
    const second = await restoreS3(d, { source: "logs", at: t2, to: "restored/t2", timeoutSeconds: 60 });
    const latest = await restoreS3(d, { source: "logs", to: "restored/now", timeoutSeconds: 60 });

    assert.deepEqual(await contents(s3, "restored"), {
      "now/a.txt": "a3",
      "now/c.txt": "c3",
      "now/dir/d.txt": "d1",
      "t1/a.txt": "a1",
      "t1/b.txt": "b1",
      "t1/dir/d.txt": "d1",
      "t2/a.txt": "a2",
      "t2/dir/d.txt": "d1",
    });
    assert.deepEqual(first.summary, {
      selected: 3,
      copied: 3,
      unchanged: 0,
      refused: 0,
      failed: 0,
      deleted: 0,
      later: 1,
      bytes: 6,
    });
    assert.deepEqual([second.summary.selected, second.summary.deleted, second.summary.later], [2, 1, 1]);
    assert.deepEqual([latest.summary.selected, latest.summary.deleted, latest.summary.later], [3, 1, 0]);

    const event = first.event!;
    assert.deepEqual(
      { ...event, restoreId: "", startedAt: "", finishedAt: "", durationSeconds: 0 },
      {
        schema: "backup.restore.v1",
        restoreId: "",
        type: "S3",
        resource: "logs",
        from: `s3://${BACKUP_BUCKET}/logs/`,
        at: t1.toISOString(),
        target: "s3://restored/t1/",
        requestedBy: "alice",
        status: "SUCCEEDED",
        startedAt: "",
        finishedAt: "",
        durationSeconds: 0,
        metrics: {
          filesTotal: 3,
          filesCopied: 3,
          filesSkipped: 0,
          filesRefused: 0,
          filesFailed: 0,
          sizeBytes: 6,
        },
      },
    );
    const published = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as RestoreEvent);
    assert.deepEqual(
      published.map((e) => e.restoreId),
      [first.event!.restoreId, second.event!.restoreId, latest.event!.restoreId],
    );
  });

  it("must restore only keys under --prefix, keeping their names", async () => {
    const result = await restoreS3(deps(aws.fixture.env), {
      source: "logs",
      prefix: "dir/",
      at: t2,
      to: "restored",
      timeoutSeconds: 60,
    });
    assert.deepEqual(await contents(s3, "restored"), { "dir/d.txt": "d1" });
    assert.equal(result.event!.from, `s3://${BACKUP_BUCKET}/logs/dir/`);
  });

  it("must refuse to overwrite a different object and name it, leave identical ones, and replace with --overwrite", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "logs" }));
    await put(s3, "logs", "a.txt", "edited since");
    await put(s3, "logs", "dir/d.txt", "d1");
    const items: S3RestoreItem[] = [];
    const d = deps(aws.fixture.env);
    const refused = await restoreS3(d, {
      source: "logs",
      to: "logs",
      timeoutSeconds: 60,
      onItem: (item) => items.push(item),
    });
    assert.deepEqual(await contents(s3, "logs"), {
      "a.txt": "edited since",
      "c.txt": "c3",
      "dir/d.txt": "d1",
    });
    assert.deepEqual(items.map((i) => [i.key, i.action]).sort(), [
      ["a.txt", "refused"],
      ["dir/d.txt", "unchanged"],
    ]);
    assert.equal(refused.event!.status, "WARNING");
    assert.deepEqual(refused.event!.error, {
      message:
        "1 object(s) exist at the destination with other content and were not overwritten (--overwrite replaces them): a.txt",
      code: "ObjectsNotOverwritten",
    });
    assert.deepEqual(refused.event!.metrics, {
      filesTotal: 3,
      filesCopied: 1,
      filesSkipped: 1,
      filesRefused: 1,
      filesFailed: 0,
      sizeBytes: 2,
    });

    const replaced = await restoreS3(d, { source: "logs", to: "logs", overwrite: true, timeoutSeconds: 60 });
    assert.equal(replaced.event!.status, "SUCCEEDED");
    assert.deepEqual(await contents(s3, "logs"), { "a.txt": "a3", "c.txt": "c3", "dir/d.txt": "d1" });
    assert.deepEqual([replaced.summary.copied, replaced.summary.unchanged], [1, 2]);
  });

  it("must list what a dry run would copy and its size, copying, recording and publishing nothing", async () => {
    const items: S3RestoreItem[] = [];
    const result = await restoreS3(deps(aws.fixture.env), {
      source: "logs",
      at: t1,
      to: "restored",
      dryRun: true,
      timeoutSeconds: 60,
      onItem: (item) => items.push(item),
    });
    assert.equal(result.event, undefined);
    assert.deepEqual(items.map((i) => [i.key, i.action, i.size, typeof i.versionId]).sort(), [
      ["a.txt", "copy", 2, "string"],
      ["b.txt", "copy", 2, "string"],
      ["dir/d.txt", "copy", 2, "string"],
    ]);
    assert.equal(result.summary.bytes, 6);
    assert.deepEqual(await contents(s3, "restored"), {});
    assert.deepEqual(await drainQueue(aws.fixture), []);
  });

  it("must copy a large object's old version in parts, every part from that version", async () => {
    const MIB = 1024 ** 2;
    await put(s3, BACKUP_BUCKET, "logs/big.bin", "1".repeat(6 * MIB));
    await sleep(1_100);
    const between = new Date();
    await sleep(1_100);
    await put(s3, BACKUP_BUCKET, "logs/big.bin", "2".repeat(6 * MIB));
    const result = await restoreS3(deps(aws.fixture.env), {
      source: "logs",
      prefix: "big",
      at: between,
      to: "restored",
      timeoutSeconds: 60,
      multipartThresholdBytes: MIB,
      partSizeBytes: 5 * MIB,
    });
    assert.equal(result.event!.status, "SUCCEEDED", result.event!.error?.message);
    const object = await s3.send(new GetObjectCommand({ Bucket: "restored", Key: "big.bin" }));
    const body = await object.Body!.transformToString();
    assert.equal(body.length, 6 * MIB);
    assert.equal(body, "1".repeat(6 * MIB));
  });

  it("must refuse a restore with nothing to restore, into the backup bucket, or into a missing bucket", async () => {
    const d = deps(aws.fixture.env);
    const refusal = (request: Parameters<typeof restoreS3>[1]) =>
      restoreS3(d, request).then(
        () => assert.fail("must be refused"),
        (error: unknown) => {
          assert.ok(error instanceof RestoreRefused, String(error));
          return [error.code, error.message];
        },
      );
    assert.deepEqual(await refusal({ source: "nope", to: "restored", timeoutSeconds: 60 }), [
      "NothingToRestore",
      `Nothing to restore: no backup under s3://${BACKUP_BUCKET}/nope/`,
    ]);
    assert.deepEqual(
      await refusal({ source: "logs", prefix: "b", at: t2, to: "restored", timeoutSeconds: 60 }),
      [
        "NothingToRestore",
        `Nothing to restore under s3://${BACKUP_BUCKET}/logs/b as of ${t2.toISOString()}: 1 key(s) deleted by then, 0 created only later`,
      ],
    );
    assert.deepEqual(await refusal({ source: "logs", to: `${BACKUP_BUCKET}/copy`, timeoutSeconds: 60 }), [
      "InvalidRequest",
      `--to is the backup bucket "${BACKUP_BUCKET}": a restore never writes into the backup`,
    ]);
    assert.deepEqual(await refusal({ source: "logs", to: "no-such-bucket", timeoutSeconds: 60 }), [
      "InvalidRequest",
      'The destination bucket "no-such-bucket" does not exist',
    ]);
    assert.deepEqual(await drainQueue(aws.fixture), []);
  });
});
