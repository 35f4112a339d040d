import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { runBackups, runIntegrityCheck } from "../runtime/jobs";
import { parseReportRow } from "../runtime/jobs/s3-batch-files";
import { BACKUP_BUCKET, motoS3, testDeps, useJobsAws } from "./jobs-fixtures";
import { FakeS3Control } from "./fakes/s3-control";

const ROLE = "arn:aws:iam::123456789012:role/drox-backup-s3-batch";
const SOURCE = "big-data";

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(out.Contents ?? []).map((o) => o.Key!));
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function read(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString("utf-8")) ?? "";
}

describe("S3 backup through S3 Batch Operations", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });
  let s3: S3Client;
  let control: FakeS3Control;
  // 30 objects; the last two in key order archived (a copy of those fails), one key needs encoding.
  const plain = Array.from({ length: 27 }, (_, i) => `obj-${String(i).padStart(2, "0")}.txt`);
  const archived = ["zz-cold/a.bin", "zz-cold/b.bin"];
  const odd = "p/a b,c+ü.txt";

  beforeEach(async () => {
    s3 = motoS3();
    control = new FakeS3Control(s3);
    await s3.send(new CreateBucketCommand({ Bucket: SOURCE }));
    const limit = pLimit(16);
    await Promise.all([
      ...[...plain, odd].map((Key) =>
        limit(() => s3.send(new PutObjectCommand({ Bucket: SOURCE, Key, Body: `body of ${Key}` }))),
      ),
      ...archived.map((Key) =>
        limit(() =>
          s3.send(new PutObjectCommand({ Bucket: SOURCE, Key, Body: "cold", StorageClass: "GLACIER" })),
        ),
      ),
    ]);
  });

  const deps = (threshold = "10") =>
    testDeps(
      {
        ...aws.fixture.env,
        S3_SOURCE_BUCKETS: SOURCE,
        S3_BATCH_THRESHOLD: threshold,
        S3_BATCH_ROLE_ARN: ROLE,
      },
      { s3Control: control.client },
    );

  it("must hand the objects beyond the threshold to one copy job and publish its final result with the failed keys", async () => {
    const [started] = await runBackups("S3", {}, deps());
    assert.equal(started!.status, "WARNING", started!.error?.message);
    assert.equal(started!.error?.code, "BatchCopyInProgress", started!.error?.message);
    assert.equal(started!.metrics?.filesCopied, 10, "the first 10 objects to copy are copied by the task");
    assert.equal(started!.metrics?.filesTotal, 30);
    assert.equal((await keysUnder(s3, BACKUP_BUCKET, `${SOURCE}/`)).length, 10);

    // One job, shaped as CreateJob documents it, its manifest the 20 other keys in listing order.
    assert.equal(control.jobs.size, 1);
    const [job] = [...control.jobs.values()];
    assert.match(
      started!.error?.message ?? "",
      new RegExp(`20 handed to S3 Batch Operations job ${job!.id}`),
    );
    const request = job!.request;
    assert.equal(request.AccountId, "123456789012");
    assert.equal(request.RoleArn, ROLE);
    assert.equal(request.ConfirmationRequired, false);
    assert.equal(request.ClientRequestToken, started!.jobId);
    assert.equal(request.Operation?.S3PutObjectCopy?.TargetResource, `arn:aws:s3:::${BACKUP_BUCKET}`);
    assert.equal(request.Operation?.S3PutObjectCopy?.TargetKeyPrefix, SOURCE);
    assert.deepEqual(request.Manifest?.Spec, {
      Format: "S3BatchOperations_CSV_20180820",
      Fields: ["Bucket", "Key"],
    });
    assert.equal(request.Report?.ReportScope, "FailedTasksOnly");
    assert.equal(request.Report?.Bucket, `arn:aws:s3:::${BACKUP_BUCKET}`);
    const manifestKey = request.Manifest!.Location!.ObjectArn!.replace(`arn:aws:s3:::${BACKUP_BUCKET}/`, "");
    const rows = (await read(s3, BACKUP_BUCKET, manifestKey)).trim().split("\n");
    const all = [...plain, odd, ...archived].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(
      rows,
      all.slice(10).map((k) => `${SOURCE},${encodeURIComponent(k)}`),
    );

    // Still running at the next run: in progress again, and the bucket is not synced meanwhile.
    const during = await runBackups("S3", {}, deps());
    assert.equal(during.length, 1);
    assert.equal(during[0]!.status, "WARNING");
    assert.equal(during[0]!.error?.code, "BatchCopyInProgress");
    assert.match(during[0]!.error?.message ?? "", /is Active, 0 of 20 objects done/);
    assert.equal((await keysUnder(s3, BACKUP_BUCKET, `${SOURCE}/`)).length, 10);

    await control.run();
    const after = await runBackups("S3", {}, deps());
    assert.equal(after.length, 2, "the job's final result, then this run's sync");
    const [final, sync] = after;
    assert.equal(final!.status, "WARNING");
    assert.equal(final!.error?.code, "ObjectsNotCopied");
    assert.deepEqual(final!.metrics, { filesCopied: 18, filesTotal: 20, filesFailed: 2 });
    assert.notEqual(final!.jobId, started!.jobId, "a result of its own, not a redelivery of the first");
    assert.equal(final!.startedAt, started!.startedAt);
    for (const key of archived)
      assert.ok(final!.error?.message.includes(`${key}: ObjectNotInActiveTierError`), key);
    assert.deepEqual(
      (await keysUnder(s3, BACKUP_BUCKET, `${SOURCE}/`)).sort(),
      [...plain, odd].map((k) => `${SOURCE}/${k}`).sort(),
    );
    // The sync after the job copies nothing again; the archived objects fail here too.
    assert.equal(sync!.metrics?.filesCopied, 0);
    assert.equal(sync!.metrics?.filesFailed, 2);

    const later = await runBackups("S3", {}, deps());
    assert.equal(later.length, 1, "an ended job is reported once");
  });

  it("must copy everything in the task when the objects to copy do not exceed the threshold", async () => {
    const [result] = await runBackups("S3", {}, deps("30"));
    assert.equal(result!.error?.code, "ObjectsNotCopied");
    assert.equal(result!.metrics?.filesCopied, 28);
    assert.equal(control.jobs.size, 0);
  });

  it("must follow the job up in the integrity check too, publishing its final result once", async () => {
    await runBackups("S3", {}, deps("25"));
    await control.run();
    const d = deps("25");
    const published: string[] = [];
    const check = await runIntegrityCheck({
      ...d,
      publisher: { publish: async (e) => String(published.push(e.schema)) },
    });
    assert.ok(published.includes("backup.result.v1"), "the job's final result is published by the check");
    assert.ok(
      check.findings.every((f) => !/obj-/.test(f.resource + f.message)),
      "every copied object is found",
    );
    const again = await runBackups("S3", {}, deps("25"));
    assert.equal(again.length, 1, "the check reported the job: the next run only syncs");
  });

  it("must read a report row with either order of status and error code", () => {
    assert.deepEqual(parseReportRow('b,dir%2Fa%20b%2Cc,,failed,403,AccessDenied,"Access, ""denied"""'), {
      key: "dir/a b,c",
      status: "failed",
      message: 'AccessDenied: HTTP 403: Access, "denied"',
    });
    assert.deepEqual(parseReportRow("b,k,,failed,PermanentFailure,200,boom"), {
      key: "k",
      status: "failed",
      message: "PermanentFailure: HTTP 200: boom",
    });
  });
});
