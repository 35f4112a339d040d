import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  S3Client,
  S3ServiceException,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import pLimit from "p-limit";
import { decodeTime } from "ulid";
import { s3ClientForBucket } from "../runtime/aws/clients";
import type { BackupResult } from "../runtime/contract/events";
import { runBackups, type S3ProgressEvent } from "../runtime/jobs";
import { backupS3Buckets, batchFollowUpResult } from "../runtime/jobs/s3";
import type { BatchFollowUp } from "../runtime/jobs/s3-batch";
import type { JobSettings } from "../runtime/settings/jobs";
import { BACKUP_BUCKET, drainQueue, motoS3, readJobSettings, testDeps, useJobsAws } from "./jobs-fixtures";
import { MemoryHistory } from "./support/memory-history";
import { fail, OFFLINE, script, type Answer, type Input } from "./support/scripted-aws";

async function put(
  s3: S3Client,
  bucket: string,
  objects: { Key: string; Body: string; StorageClass?: "GLACIER" }[],
) {
  const limit = pLimit(16);
  await Promise.all(objects.map((o) => limit(() => s3.send(new PutObjectCommand({ Bucket: bucket, ...o })))));
}

async function keys(s3: S3Client, bucket: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

/**
 * The result an S3 Batch Operations follow-up publishes (docs/jobs-and-iam.md: while the job runs a
 * WARNING `BatchCopyInProgress`; once it has ended its final result under a job id of its own —
 * SUCCEEDED, WARNING `ObjectsNotCopied` with the failed keys, or FAILED `BatchJobFailed`).
 */
describe("S3 Batch Operations follow-up result", () => {
  const NOW = new Date("2026-11-30T06:00:00.000Z");
  const deps = testDeps(
    {},
    { history: new MemoryHistory(), publisher: { publish: async () => "message-id" }, now: () => NOW },
  );
  const record = {
    version: 1,
    jobId: "job-1",
    accountId: "123456789012",
    runJobId: "01JRUNJOBID",
    sourceBucket: "app-data",
    startedAt: "2026-11-30T04:00:00.000Z",
    objects: 500,
    etagsKey: "etags.json",
    reportPrefix: "reports",
  } as const;
  const JOB = "S3 Batch Operations job job-1 (started 2026-11-30T04:00:00.000Z by run 01JRUNJOBID)";
  const ended = (over: Partial<Extract<BatchFollowUp, { state: "ended" }>>): BatchFollowUp => ({
    state: "ended",
    record,
    status: "Complete",
    total: 500,
    succeeded: 500,
    failed: 0,
    failures: [],
    reasons: [],
    ...over,
  });

  it("must publish nothing without a job to follow up", () => {
    assert.equal(batchFollowUpResult(deps, "app-data", { state: "none" }), undefined);
  });

  it("must be WARNING BatchCopyInProgress while the job runs, saying how far it got", () => {
    const result = batchFollowUpResult(deps, "app-data", {
      state: "running",
      record,
      status: "Active",
      done: 120,
    });
    assert.equal(result?.status, "WARNING");
    assert.equal(result?.type, "S3");
    assert.equal(result?.resource, "app-data");
    assert.deepEqual(result?.error, {
      code: "BatchCopyInProgress",
      message: `${JOB} is Active, 120 of 500 objects done: in progress; the bucket is synced again once it has ended`,
    });
    assert.equal(result?.startedAt, NOW.toISOString());
  });

  it("must publish an ended job's result under a job id of its own, timed from the job's start", () => {
    const result = batchFollowUpResult(deps, "app-data", ended({}));
    assert.equal(result?.status, "SUCCEEDED");
    assert.equal(result?.type, "S3");
    assert.equal(result?.error, undefined);
    assert.deepEqual(result?.metrics, { filesCopied: 500, filesTotal: 500, filesFailed: 0 });
    assert.equal(result?.startedAt, record.startedAt);
    assert.equal(result?.finishedAt, NOW.toISOString());
    assert.equal(result?.durationSeconds, 7200);
    assert.notEqual(result?.jobId, record.runJobId);
    assert.equal(decodeTime(result?.jobId ?? ""), NOW.getTime());
  });

  it("must be WARNING ObjectsNotCopied naming the first five failed keys, and how many more", () => {
    const failures = Array.from({ length: 7 }, (_, i) => ({
      key: `k${i}`,
      message: `400 InvalidRequest ${i}`,
    }));
    const result = batchFollowUpResult(deps, "app-data", ended({ succeeded: 493, failed: 7, failures }));
    assert.equal(result?.status, "WARNING");
    assert.deepEqual(result?.error, {
      code: "ObjectsNotCopied",
      message:
        `${JOB} Complete: 493 of 500 objects copied, 7 failed: k0: 400 InvalidRequest 0; k1: 400 InvalidRequest 1; ` +
        "k2: 400 InvalidRequest 2; k3: 400 InvalidRequest 3; k4: 400 InvalidRequest 4 (and 2 more)",
    });
    const five = batchFollowUpResult(
      deps,
      "app-data",
      ended({ succeeded: 495, failed: 5, failures: failures.slice(0, 5) }),
    );
    assert.ok(five?.error?.message.endsWith("k4: 400 InvalidRequest 4"), five?.error?.message);
    assert.deepEqual(five?.metrics, { filesCopied: 495, filesTotal: 500, filesFailed: 5 });
  });

  it("must be FAILED BatchJobFailed when the job copied nothing, with its failure reasons", () => {
    const result = batchFollowUpResult(
      deps,
      "app-data",
      ended({ status: "Failed", succeeded: 0, reasons: ["ManifestNotFound: no manifest", "AccessDenied"] }),
    );
    assert.equal(result?.status, "FAILED");
    assert.deepEqual(result?.error, {
      code: "BatchJobFailed",
      message: `${JOB} Failed: 0 of 500 objects copied (ManifestNotFound: no manifest; AccessDenied)`,
    });
  });

  it("must be WARNING for a job that ended otherwise than Complete after copying some objects", () => {
    const result = batchFollowUpResult(deps, "app-data", ended({ status: "Cancelled", succeeded: 200 }));
    assert.equal(result?.status, "WARNING");
    assert.deepEqual([result?.type, result?.resource], ["S3", "app-data"]);
    assert.deepEqual(result?.error, {
      code: "ObjectsNotCopied",
      message: `${JOB} Cancelled: 200 of 500 objects copied`,
    });
  });
});

/**
 * The job around the sync, against S3 answers scripted at the client (no moto): an abort before or
 * during a bucket's sync (docs/jobs-and-iam.md: "each unfinished resource is FAILED with code
 * `Aborted`"), the failed keys shown, and an S3 Batch Operations job that could not be started.
 */
describe("S3 backup job (scripted S3 answers)", () => {
  const ROLE = "arn:aws:iam::123456789012:role/drox-s3-batch";
  const etag = (n: number) => `"${n.toString(16).padStart(32, "0")}"`;
  const noSuchKey = () =>
    new S3ServiceException({
      name: "NoSuchKey",
      $fault: "client",
      $metadata: { httpStatusCode: 404 },
      message: "NoSuchKey",
    });
  const denied = () =>
    new S3ServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: "Access Denied",
    });

  /** Source buckets listing `keys` (one byte each), an empty backup, copies answered by `copy`. */
  function job(
    keys: readonly string[],
    copy: Answer,
    settings: Partial<JobSettings> = {},
    control: Record<string, Answer> = {},
    answers: Record<string, Answer> = {},
  ) {
    const s3 = new S3Client(OFFLINE);
    const sent = script(s3, {
      GetObjectCommand: fail(
        new S3ServiceException({
          name: "NoSuchKey",
          $fault: "client",
          $metadata: { httpStatusCode: 404 },
          message: "NoSuchKey",
        }),
      ),
      HeadBucketCommand: () => ({ BucketRegion: "us-east-1" }),
      PutObjectCommand: () => ({ ETag: etag(0) }),
      ListObjectsV2Command: (input) => ({
        Contents:
          input.Bucket === BACKUP_BUCKET ? [] : keys.map((Key, i) => ({ Key, Size: 1, ETag: etag(i + 1) })),
        IsTruncated: false,
      }),
      CopyObjectCommand: copy,
      ...answers,
    });
    const s3Control = new S3ControlClient(OFFLINE);
    script(s3Control, control);
    const deps = testDeps(
      {},
      {
        settings: {
          ...readJobSettings({ AWS_REGION: "us-east-1" }),
          backupBucket: BACKUP_BUCKET,
          s3SyncConcurrency: 1,
          ...settings,
        },
        s3,
        s3Control,
        history: new MemoryHistory(),
        publisher: { publish: async () => "message-id" },
      },
    );
    return { deps, sent };
  }
  const copied = (input: Input) => ({
    CopyObjectResult: { ETag: etag(Number(String(input.Key).slice(-1)) + 1) },
  });

  it("must end every bucket FAILED Aborted without a request when aborted before the syncs start", async () => {
    const { deps, sent } = job(["k0"], copied);
    const controller = new AbortController();
    controller.abort(new Error("SIGTERM"));
    const results = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data", "logs"], {
      signal: controller.signal,
    });
    assert.deepEqual(
      results.map((r) => [r.resource, r.status, r.error]),
      [
        [
          "app-data",
          "FAILED",
          { code: "Aborted", message: "Backup aborted before the sync started: SIGTERM" },
        ],
        ["logs", "FAILED", { code: "Aborted", message: "Backup aborted before the sync started: SIGTERM" }],
      ],
    );
    assert.deepEqual(
      results.map((r) => r.type),
      ["S3", "S3"],
    );
    assert.deepEqual(sent, []);
  });

  it("must end the bucket being synced FAILED Aborted saying how far it got, and not start the next", async () => {
    const { deps } = job(["k0", "k1", "k2"], copied);
    const controller = new AbortController();
    const results = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data", "logs"], {
      signal: controller.signal,
      onProgress: (p) => {
        assert.equal(p.bucket, "app-data");
        if (p.copied >= 1) controller.abort(new Error("SIGTERM"));
      },
    });
    assert.equal(results.length, 2);
    assert.equal(results[0]!.status, "FAILED");
    assert.equal(results[0]!.error?.code, "Aborted");
    assert.match(
      results[0]!.error?.message ?? "",
      /^Backup aborted: S3 sync of bucket "app-data" was aborted after [12] objects copied: SIGTERM$/,
    );
    assert.deepEqual(results[1]!.error, {
      code: "Aborted",
      message: "Backup aborted before the sync started: SIGTERM",
    });
  });

  it("must name the error's type as its code when the sync fails for another reason than AWS", async () => {
    const { deps } = job(["k0"], copied);
    const [result] = await backupS3Buckets(deps, "app-data", ["app-data"]);
    assert.equal(result?.status, "FAILED");
    assert.deepEqual(result?.error, {
      code: "ConfigError",
      message: 'S3 source bucket "app-data" is also the backup bucket: a bucket cannot back itself up',
    });
  });

  it("must report a last S3 Batch Operations job it cannot read, then sync the bucket", async () => {
    const record =
      (body: string): Answer =>
      (input) => {
        if (!String(input.Key).endsWith("/job.json")) throw noSuchKey();
        return { Body: { transformToString: async () => body } };
      };
    const unreadable = job(["k0"], copied, {}, {}, { GetObjectCommand: fail(denied()) });
    const [follow, sync] = await backupS3Buckets(unreadable.deps, BACKUP_BUCKET, ["app-data"]);
    assert.deepEqual(
      [follow?.type, follow?.resource, follow?.status, follow?.error],
      [
        "S3",
        "app-data",
        "WARNING",
        {
          code: "AccessDenied",
          message: "The last S3 Batch Operations job of this bucket could not be followed up: Access Denied",
        },
      ],
    );
    assert.deepEqual([sync?.status, sync?.metrics?.filesCopied], ["SUCCEEDED", 1]);

    const garbled = job(["k0"], copied, {}, {}, { GetObjectCommand: record("{not json") });
    const [bad, synced] = await backupS3Buckets(garbled.deps, BACKUP_BUCKET, ["app-data"]);
    assert.equal(bad?.status, "WARNING");
    assert.equal(bad?.error?.code, "BatchJobUnreadable");
    assert.ok(
      bad?.error?.message.startsWith(
        "The last S3 Batch Operations job of this bucket could not be followed up: ",
      ),
    );
    assert.equal(synced?.status, "SUCCEEDED");
    assert.notEqual(bad?.jobId, synced?.jobId);
  });

  it("must not sync a bucket whose S3 Batch Operations job is still running", async () => {
    const body = JSON.stringify({
      version: 1,
      jobId: "job-7",
      accountId: "123456789012",
      runJobId: "01JRUN",
      sourceBucket: "app-data",
      startedAt: "2026-11-30T05:00:00.000Z",
      objects: 10,
      etagsKey: "etags",
      reportPrefix: "reports",
    });
    const { deps, sent } = job(
      ["k0"],
      copied,
      {},
      {
        DescribeJobCommand: () => ({
          Job: { Status: "Active", ProgressSummary: { NumberOfTasksSucceeded: 4 } },
        }),
      },
      { GetObjectCommand: () => ({ Body: { transformToString: async () => body } }) },
    );
    const results = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data"]);
    assert.deepEqual(
      results.map((r) => [r.status, r.error?.code]),
      [["WARNING", "BatchCopyInProgress"]],
    );
    assert.equal(sent.filter((s) => s.command === "ListObjectsV2Command").length, 0);
  });

  it("must copy every object in the task without S3_BATCH_ROLE_ARN, or with nothing beyond S3_BATCH_THRESHOLD", async () => {
    for (const settings of [{ s3BatchThreshold: 1 }, { s3BatchRoleArn: ROLE, s3BatchThreshold: 3 }]) {
      const { deps } = job(["k0", "k1", "k2"], copied, settings);
      const [result] = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data"]);
      assert.deepEqual([result?.status, result?.metrics?.filesCopied], ["SUCCEEDED", 3]);
    }
  });

  it("must copy in the job's 256 MiB parts an object above its 1 GiB threshold", async () => {
    const GiB = 1024 ** 3;
    const { deps, sent } = job(
      ["k0"],
      copied,
      {},
      {},
      {
        ListObjectsV2Command: (input) => ({
          Contents: input.Bucket === BACKUP_BUCKET ? [] : [{ Key: "k0", Size: 2 * GiB, ETag: etag(1) }],
          IsTruncated: false,
        }),
        HeadObjectCommand: () => ({ ETag: etag(1) }),
        GetObjectTaggingCommand: () => ({ TagSet: [] }),
        CreateMultipartUploadCommand: () => ({ UploadId: "up-1" }),
        UploadPartCopyCommand: () => ({ CopyPartResult: { ETag: etag(2) } }),
        CompleteMultipartUploadCommand: () => ({ ETag: `"${"3".repeat(32)}-8"` }),
      },
    );
    const [result] = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data"]);
    assert.equal(result?.status, "SUCCEEDED");
    assert.equal(sent.filter((s) => s.command === "UploadPartCopyCommand").length, 8);
    assert.equal(sent.filter((s) => s.command === "CopyObjectCommand").length, 0);
  });

  it("must name the first five keys that could not be copied and count the others", async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
    const { deps } = job(keys, fail(denied()));
    const [result] = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data"]);
    assert.equal(result?.status, "WARNING");
    assert.deepEqual(result?.error, {
      code: "ObjectsNotCopied",
      message:
        "7 of 7 objects could not be copied: " +
        keys
          .slice(0, 5)
          .map((k) => `${k}: AccessDenied: Access Denied`)
          .join("; ") +
        " (and 2 more)",
    });
    assert.deepEqual(result?.metrics, {
      filesCopied: 0,
      filesTotal: 7,
      filesFailed: 7,
      sizeBytes: 7,
      bytesCopied: 0,
    });
  });

  it("must count the handed-off objects as failed when the S3 Batch Operations job cannot be started, beside the task's own failures", async () => {
    const { deps } = job(
      ["k0", "k1", "k2", "k3"],
      (input) => {
        if (String(input.Key).endsWith("k0")) throw denied();
        return copied(input);
      },
      { s3BatchRoleArn: ROLE, s3BatchThreshold: 2 },
      { CreateJobCommand: fail(new Error("Role not trusted")) },
    );
    const [result] = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data"]);
    assert.equal(result?.status, "WARNING");
    assert.deepEqual(result?.error, {
      code: "BatchJobNotStarted",
      message:
        "2 objects were not copied: the S3 Batch Operations job could not be started: Role not trusted. " +
        "1 of 4 objects could not be copied: k0: AccessDenied: Access Denied",
    });
    assert.deepEqual(result?.metrics, {
      filesCopied: 1,
      filesTotal: 4,
      filesFailed: 3,
      sizeBytes: 4,
      bytesCopied: 1,
    });
  });

  it("must be WARNING BatchCopyInProgress naming the started job, with nothing else to say when the task copied its share", async () => {
    const jobs: Input[] = [];
    const { deps, sent } = job(
      ["k0", "k1", "k2"],
      copied,
      { s3BatchRoleArn: ROLE, s3BatchThreshold: 1 },
      {
        CreateJobCommand: (input) => {
          jobs.push(input);
          return { JobId: "job-42" };
        },
      },
    );
    const before = new Date();
    const [result] = await backupS3Buckets(deps, BACKUP_BUCKET, ["app-data"]);
    const after = new Date();
    assert.deepEqual([result?.type, result?.status], ["S3", "WARNING"]);
    const recorded = sent.find(
      (s) => s.command === "PutObjectCommand" && String(s.input.Key).endsWith("/job.json"),
    );
    assert.equal(
      (JSON.parse(String(recorded?.input.Body)) as { objects: number }).objects,
      2,
      "both handed off",
    );
    // docs/jobs-and-iam.md: one S3PutObjectCopy job into BACKUP_BUCKET/<source>/ of the objects
    // unmodified since the listing, its manifest under .drox-backup/batch/<source>/<job id>/.
    assert.equal(jobs.length, 1);
    const created = jobs[0] as {
      AccountId: string;
      ClientRequestToken: string;
      RoleArn: string;
      Operation: {
        S3PutObjectCopy: { TargetResource: string; TargetKeyPrefix: string; UnModifiedSinceConstraint: Date };
      };
      Manifest: { Location: { ObjectArn: string } };
    };
    assert.equal(created.AccountId, "123456789012");
    assert.equal(created.RoleArn, ROLE);
    assert.equal(
      created.ClientRequestToken,
      result?.jobId,
      "the run's job id: a retried request starts no second job",
    );
    assert.equal(created.Operation.S3PutObjectCopy.TargetResource, `arn:aws:s3:::${BACKUP_BUCKET}`);
    assert.equal(created.Operation.S3PutObjectCopy.TargetKeyPrefix, "app-data");
    const listedAt = created.Operation.S3PutObjectCopy.UnModifiedSinceConstraint.getTime();
    assert.ok(listedAt >= before.getTime() && listedAt <= after.getTime());
    assert.equal(
      created.Manifest.Location.ObjectArn,
      `arn:aws:s3:::${BACKUP_BUCKET}/.drox-backup/batch/app-data/${result?.jobId}/manifest.csv`,
    );
    assert.deepEqual(
      sent.filter((s) => s.command === "GetObjectCommand").map((s) => s.input.Key)[0],
      ".drox-backup/batch/app-data/job.json",
      "the bucket's last job looked up first",
    );
    assert.deepEqual(result?.error, {
      code: "BatchCopyInProgress",
      message:
        "1 objects copied by the task; 2 handed to S3 Batch Operations job job-42, in progress: the final result follows with the next run or integrity check",
    });
    assert.equal(result?.metrics?.filesFailed, 0);
  });
});

describe("S3 backup job", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });
  let s3: S3Client;

  beforeEach(async () => {
    s3 = motoS3();
  });

  it("must sync each source bucket under its own prefix and report files and bytes", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "app-data" }));
    await put(s3, "app-data", [
      { Key: "a.txt", Body: "hello" },
      { Key: "dir/b.txt", Body: "world!" },
    ]);
    const deps = testDeps({ ...aws.fixture.env, S3_SOURCE_BUCKETS: "app-data" });
    const progress: S3ProgressEvent[] = [];
    const [result] = await runBackups("S3", { onProgress: (p) => progress.push(p) }, deps);
    assert.equal(result!.status, "SUCCEEDED");
    assert.deepEqual(result!.metrics, {
      filesCopied: 2,
      filesTotal: 2,
      filesFailed: 0,
      sizeBytes: 11,
      bytesCopied: 11,
    });
    assert.deepEqual(await keys(s3, BACKUP_BUCKET), ["app-data/a.txt", "app-data/dir/b.txt"]);
    assert.ok(progress.length > 0 && progress.every((p) => p.bucket === "app-data"));
    assert.deepEqual(await deps.history.get(result!.jobId), result);
    const [message] = await drainQueue(aws.fixture);
    assert.equal(message!.MessageAttributes?.type?.Value, "S3");

    const [again] = await runBackups("S3", {}, deps);
    assert.equal(again!.metrics?.filesCopied, 0, "an unchanged re-run copies nothing");
  });

  it("must read a source bucket in another region through a client in that region", async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: "eu-data",
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    await put(s3, "eu-data", [{ Key: "r.txt", Body: "remote" }]);
    const eu = await s3ClientForBucket(s3, "eu-data");
    assert.equal(await eu.config.region(), "eu-west-1");
    assert.equal(await s3ClientForBucket(s3, BACKUP_BUCKET), s3, "a bucket in the client's region keeps it");
    assert.equal(await s3ClientForBucket(s3, "no-such-bucket"), s3, "the listing reports a missing one");

    const [result] = await runBackups("S3", { resources: ["eu-data"] }, testDeps(aws.fixture.env));
    assert.equal(result!.status, "SUCCEEDED");
    assert.deepEqual(await keys(s3, BACKUP_BUCKET), ["eu-data/r.txt"]);
  });

  it("must select source buckets by BACKUP_TAG, never the backup bucket itself", async () => {
    for (const [name, tag] of [
      ["tagged-src", "true"],
      ["untagged-src", "false"],
    ] as const) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
      await s3.send(
        new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: "Backup", Value: tag }] } }),
      );
    }
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: BACKUP_BUCKET,
        Tagging: { TagSet: [{ Key: "Backup", Value: "true" }] },
      }),
    );
    const results = await runBackups("S3", {}, testDeps({ ...aws.fixture.env, BACKUP_TAG: "Backup=true" }));
    assert.deepEqual(
      results.map((r) => r.resource),
      ["tagged-src"],
    );
  });

  it("must be WARNING with the failing keys when some objects cannot be copied", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "logs" }));
    await put(s3, "logs", [
      { Key: "a.log", Body: "a" },
      { Key: "archived.log", Body: "cold", StorageClass: "GLACIER" },
    ]);
    const [result] = await runBackups("S3", { resources: ["logs"] }, testDeps(aws.fixture.env));
    assert.equal(result!.status, "WARNING");
    assert.equal(result!.metrics?.filesCopied, 1);
    assert.equal(result!.metrics?.filesFailed, 1);
    assert.match(result!.error!.message, /^1 of 2 objects could not be copied: archived\.log: \w+: /);
  });

  it("must be FAILED when the source bucket does not exist", async () => {
    const [result] = await runBackups("S3", { resources: ["no-such-bucket"] }, testDeps(aws.fixture.env));
    assert.equal(result!.status, "FAILED");
    assert.match(result!.error!.message, /"no-such-bucket": the bucket does not exist/);
    const [message] = await drainQueue(aws.fixture);
    assert.equal((JSON.parse(message!.Message) as BackupResult).status, "FAILED");
  });

  it("must be FAILED, recorded and published when the source bucket disappears mid-sync", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "vanishing" }));
    const objectKeys = Array.from({ length: 1200 }, (_, i) => `obj-${String(i).padStart(4, "0")}`);
    await put(
      s3,
      "vanishing",
      objectKeys.map((Key) => ({ Key, Body: "x" })),
    );
    let removal: Promise<void> | undefined;
    const remove = async () => {
      const admin = motoS3();
      for (let i = 0; i < objectKeys.length; i += 1000) {
        const Objects = objectKeys.slice(i, i + 1000).map((Key) => ({ Key }));
        await admin.send(new DeleteObjectsCommand({ Bucket: "vanishing", Delete: { Objects } }));
      }
      await admin.send(new DeleteBucketCommand({ Bucket: "vanishing" }));
    };
    const deps = testDeps({ ...aws.fixture.env, S3_SYNC_CONCURRENCY: "4" });
    const [result] = await runBackups(
      "S3",
      {
        resources: ["vanishing"],
        onProgress: (p) => {
          if (p.copied >= 20) removal ??= remove();
        },
      },
      deps,
    );
    await removal;
    assert.equal(result!.status, "FAILED");
    assert.match(result!.error!.message, /"vanishing": the bucket does not exist/);
    assert.equal((await deps.history.get(result!.jobId))?.status, "FAILED");
  });

  it("must refuse S3 backups without BACKUP_BUCKET", async () => {
    const env: Record<string, string> = { ...aws.fixture.env, S3_SOURCE_BUCKETS: "app-data" };
    delete env.BACKUP_BUCKET;
    await assert.rejects(
      runBackups("S3", {}, testDeps({ ...env, BACKUP_BUCKET: "" })),
      /BACKUP_BUCKET is not set/,
    );
  });
});
