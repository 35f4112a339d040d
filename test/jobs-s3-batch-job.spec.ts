import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { JobStatus, ServiceInputTypes, ServiceOutputTypes } from "@aws-sdk/client-s3-control";
import type { InitializeMiddleware } from "@smithy/types";
import { BatchManifest } from "../runtime/jobs/s3-batch-files";
import {
  MAX_FAILED_TASKS_KEPT,
  accountOf,
  batchKeys,
  batchRecordKey,
  createS3ControlClient,
  followUpBatchCopy,
  startBatchCopy,
  type BatchJobRecord,
} from "../runtime/jobs/s3-batch";
import { etagPairsKey } from "../runtime/jobs/s3-etag-pairs";
import { FakeS3Control, type FakeJob } from "./fakes/s3-control";
import { FakeS3Objects, s3Failure } from "./fakes/s3-objects";

const ROLE = "arn:aws:iam::123456789012:role/drox-backup-s3-batch";
const SOURCE = "big-data";
const BACKUP = "drox-backups";
const PREFIX = "big-data/";
const RECORD_KEY = ".drox-backup/batch/big-data/job.json";
const listedAt = new Date("2026-12-01T03:00:00.000Z");
const now = new Date("2026-12-01T03:05:00.000Z");

function fakes(): { s3: S3Client; objects: FakeS3Objects; control: FakeS3Control } {
  const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  const objects = new FakeS3Objects(s3);
  return { s3, objects, control: new FakeS3Control(s3) };
}

/** Starts a job for `keys` (listed with size 4 and ETag `"s-<key>"`) as the S3 job does. */
async function started(
  f: ReturnType<typeof fakes>,
  keys: readonly string[],
  overrides: { prefix?: string; sourceBucket?: string; signal?: AbortSignal } = {},
): Promise<BatchJobRecord> {
  const manifest = await BatchManifest.create(overrides.sourceBucket ?? SOURCE);
  try {
    for (const key of keys) await manifest.add({ key, size: 4, etag: `"s-${key}"` });
    return await startBatchCopy({
      s3: f.s3,
      control: f.control.client,
      roleArn: ROLE,
      sourceBucket: overrides.sourceBucket ?? SOURCE,
      backupBucket: BACKUP,
      prefix: overrides.prefix ?? PREFIX,
      runJobId: "run-1",
      manifest,
      listedAt,
      now,
      ...(overrides.signal === undefined ? {} : { signal: overrides.signal }),
    });
  } finally {
    await manifest.discard();
  }
}

/** A middleware of the spec's own, between the client and the fake's answer. */
function beforeFakeControl(
  f: ReturnType<typeof fakes>,
  name: string,
  middleware: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes>,
): void {
  f.control.client.middlewareStack.addRelativeTo(middleware, {
    relation: "before",
    toMiddleware: "droxFakeS3Control",
    name,
  });
}

function onlyJob(control: FakeS3Control): FakeJob {
  assert.equal(control.jobs.size, 1);
  return [...control.jobs.values()][0]!;
}

/** Ends the job as DescribeJob would then show it (JobDescriptor's Status and ProgressSummary). */
function end(job: FakeJob, status: JobStatus, succeeded: number, failed: number): void {
  job.status = status;
  job.total = succeeded + failed;
  job.succeeded = succeeded;
  job.failed = failed;
}

const followUp = (f: ReturnType<typeof fakes>, signal?: AbortSignal) =>
  followUpBatchCopy({
    s3: f.s3,
    control: () => f.control.client,
    backupBucket: BACKUP,
    prefix: PREFIX,
    now,
    ...(signal === undefined ? {} : { signal }),
  });

describe("S3 Batch Operations job", () => {
  let tmp: string;
  let savedTmp: string | undefined;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), "drox-spec-"));
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
  });
  afterEach(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await rm(tmp, { recursive: true, force: true });
  });

  it("must take CreateJob's account id from the role's ARN, in any partition", () => {
    assert.equal(accountOf(ROLE), "123456789012");
    assert.equal(accountOf("arn:aws-us-gov:iam::210987654321:role/r"), "210987654321");
    assert.equal(accountOf("arn:aws-cn:iam::111122223333:role/path/r"), "111122223333");
    for (const arn of [
      "arn:aws:iam::12345678901:role/r",
      "arn:aws:iam::1234567890123:role/r",
      "arn:aws:iam::123456789012:user/r",
      "arn:aws:sts::123456789012:assumed-role/r/s",
      "xarn:aws:iam::123456789012:role/r",
      "arn:aws:iam::12345678901x:role/r",
      "",
    ]) {
      assert.equal(accountOf(arn), "", arn);
    }
  });

  it("must build the S3 Control client in the region asked for, else the SDK's own", async () => {
    assert.equal(await createS3ControlClient("eu-west-1").config.region(), "eu-west-1");
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = "ap-south-1";
    try {
      assert.equal(await createS3ControlClient().config.region(), "ap-south-1");
      assert.equal(await createS3ControlClient("").config.region(), "ap-south-1");
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it("must keep a source's job files outside every copy's prefix", () => {
    assert.deepEqual(batchKeys(PREFIX, "run-1"), {
      manifest: ".drox-backup/batch/big-data/run-1/manifest.csv",
      etags: ".drox-backup/batch/big-data/run-1/etags.csv",
      reportPrefix: ".drox-backup/batch/big-data/run-1/report",
    });
    assert.equal(batchRecordKey(PREFIX), RECORD_KEY);
    assert.equal(MAX_FAILED_TASKS_KEPT, 1000);
  });

  describe("startBatchCopy", () => {
    it("must upload the manifest, create one S3PutObjectCopy job as CreateJob documents it, and record it", async () => {
      const f = fakes();
      const controller = new AbortController();
      const record = await started(f, ["a.txt", "dir/b c.txt"], { signal: controller.signal });
      const job = onlyJob(f.control);
      const manifestEtag = f.objects.objects.get(
        `${BACKUP}/.drox-backup/batch/big-data/run-1/manifest.csv`,
      )?.etag;
      assert.equal(
        f.objects.text(BACKUP, ".drox-backup/batch/big-data/run-1/manifest.csv"),
        "big-data,a.txt\nbig-data,dir%2Fb%20c.txt\n",
      );
      assert.deepEqual(job.request, {
        AccountId: "123456789012",
        ClientRequestToken: "run-1",
        ConfirmationRequired: false,
        Description: "drox-backup big-data",
        Priority: 10,
        RoleArn: ROLE,
        Operation: {
          S3PutObjectCopy: {
            TargetResource: `arn:aws:s3:::${BACKUP}`,
            TargetKeyPrefix: "big-data",
            MetadataDirective: "COPY",
            UnModifiedSinceConstraint: listedAt,
          },
        },
        Manifest: {
          Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] },
          Location: {
            ObjectArn: `arn:aws:s3:::${BACKUP}/.drox-backup/batch/big-data/run-1/manifest.csv`,
            ETag: manifestEtag,
          },
        },
        Report: {
          Enabled: true,
          Bucket: `arn:aws:s3:::${BACKUP}`,
          Prefix: ".drox-backup/batch/big-data/run-1/report",
          Format: "Report_CSV_20180820",
          ReportScope: "FailedTasksOnly",
        },
      });
      const expected: BatchJobRecord = {
        version: 1,
        jobId: job.id,
        accountId: "123456789012",
        runJobId: "run-1",
        sourceBucket: SOURCE,
        startedAt: "2026-12-01T03:05:00.000Z",
        objects: 2,
        etagsKey: ".drox-backup/batch/big-data/run-1/etags.csv",
        reportPrefix: ".drox-backup/batch/big-data/run-1/report",
      };
      assert.deepEqual(record, expected);
      assert.deepEqual(JSON.parse(f.objects.text(BACKUP, RECORD_KEY)!), expected);
      assert.equal(f.objects.objects.get(`${BACKUP}/${RECORD_KEY}`)?.contentType, "application/json");
      assert.ok(
        f.objects
          .sent("PutObject")
          .filter((r) => r.key.endsWith(".csv"))
          .every((r) => r.signal === controller.signal),
        "the manifest's upload can be aborted with the run",
      );
    });

    it("must copy into a nested prefix without its trailing slash, and keep the description within 256 characters", async () => {
      const f = fakes();
      const long = "b".repeat(300);
      await started(f, ["a"], { prefix: "team/big-data/", sourceBucket: long });
      const request = onlyJob(f.control).request;
      assert.equal(request.Operation?.S3PutObjectCopy?.TargetKeyPrefix, "team/big-data");
      assert.equal(request.Description, `drox-backup ${long}`.slice(0, 256));
      assert.equal(request.Description?.length, 256);
    });

    it("must fail without recording a job when CreateJob names none", async () => {
      const f = fakes();
      beforeFakeControl(f, "noJobId", (next) => async (args) => {
        const result = await next(args);
        delete (result.output as { JobId?: string }).JobId;
        return result;
      });
      await assert.rejects(started(f, ["a"]), /CreateJob returned no JobId/);
      assert.equal(f.objects.text(BACKUP, RECORD_KEY), undefined);
    });

    it("must hand the run's abort to CreateJob", async () => {
      const f = fakes();
      let seen: AbortSignal | undefined;
      beforeFakeControl(f, "seeSignal", (next, context) => async (args) => {
        seen = (context as { __smithy_context?: { abortSignal?: AbortSignal } }).__smithy_context
          ?.abortSignal;
        return next(args);
      });
      const controller = new AbortController();
      await started(f, ["a"], { signal: controller.signal });
      assert.equal(seen, controller.signal);
    });
  });

  describe("followUpBatchCopy", () => {
    it("must answer none without a job, and for a job already reported", async () => {
      const f = fakes();
      assert.deepEqual(await followUp(f), { state: "none" });
      const record = await started(f, ["a"]);
      f.objects.putText(BACKUP, RECORD_KEY, JSON.stringify({ ...record, reportedAt: now.toISOString() }));
      assert.deepEqual(await followUp(f), { state: "none" });
      for (const damaged of [
        { ...record, version: 2 },
        { ...record, jobId: 7 },
      ]) {
        f.objects.putText(BACKUP, RECORD_KEY, JSON.stringify(damaged));
        assert.deepEqual(await followUp(f), { state: "none" }, JSON.stringify(damaged));
      }
    });

    it("must answer none when the record's GET is a bare 404", async () => {
      const f = fakes();
      await started(f, ["a"]);
      // A 404 whose body the SDK could not read is named NotFound, as a HEAD's is.
      f.objects.fail = () => s3Failure("NotFound", 404, "");
      assert.deepEqual(await followUp(f), { state: "none" });
    });

    it("must throw when the job's record cannot be read", async () => {
      const f = fakes();
      const denied = s3Failure("AccessDenied", 403, "Access Denied");
      f.objects.fail = () => denied;
      await assert.rejects(followUp(f), (error) => error === denied);
    });

    it("must report a job that has not ended as running, with the tasks done so far", async () => {
      const f = fakes();
      const record = await started(f, ["a", "b", "c"]);
      const job = onlyJob(f.control);
      const controller = new AbortController();
      const signals: (AbortSignal | undefined)[] = [];
      beforeFakeControl(f, "seeSignal", (next, context) => async (args) => {
        signals.push(
          (context as { __smithy_context?: { abortSignal?: AbortSignal } }).__smithy_context?.abortSignal,
        );
        return next(args);
      });
      for (const status of [
        "New",
        "Preparing",
        "Suspended",
        "Active",
        "Pausing",
        "Paused",
        "Cancelling",
        "Completing",
        "Failing",
      ] as const) {
        job.status = status;
        job.succeeded = 1;
        job.failed = 1;
        assert.deepEqual(
          await followUp(f, controller.signal),
          { state: "running", record, status, done: 2 },
          status,
        );
      }
      assert.ok(
        f.objects
          .sent("GetObject")
          .filter((r) => r.key === RECORD_KEY)
          .every((r) => r.signal === controller.signal),
      );
      assert.equal(JSON.parse(f.objects.text(BACKUP, RECORD_KEY)!).reportedAt, undefined, "not reported yet");
      assert.ok(
        signals.length === 9 && signals.every((s) => s === controller.signal),
        "DescribeJob can be aborted with the run",
      );
    });

    it("must report a job DescribeJob shows without a status or progress as running", async () => {
      const f = fakes();
      const record = await started(f, ["a"]);
      beforeFakeControl(f, "noJob", (next) => async (args) => {
        const result = await next(args);
        (result.output as { Job?: unknown }).Job = undefined;
        return result;
      });
      assert.deepEqual(await followUp(f), { state: "running", record, status: "Unknown", done: 0 });
    });

    it("must ask DescribeJob for the recorded job in the recorded account", async () => {
      const f = fakes();
      await started(f, ["a"]);
      const record = JSON.parse(f.objects.text(BACKUP, RECORD_KEY)!) as BatchJobRecord;
      f.objects.putText(BACKUP, RECORD_KEY, JSON.stringify({ ...record, accountId: "999999999999" }));
      await assert.rejects(followUp(f), { name: "NotFoundException" });
    });

    it("must report an ended job once, with its counts, failed keys and reasons", async () => {
      const f = fakes();
      const record = await started(f, ["a", "b", "c"]);
      const job = onlyJob(f.control);
      end(job, "Failed", 0, 3);
      job.failureReasons.push({
        FailureCode: "Task failure rate exceeded",
        FailureReason: "More than 50% of the tasks failed",
      });
      f.objects.putText(
        BACKUP,
        `${record.reportPrefix}/job-${job.id}/manifest.json`,
        JSON.stringify({
          Format: "Report_CSV_20180820",
          Results: [
            {
              TaskExecutionStatus: "failed",
              Bucket: BACKUP,
              Key: `${record.reportPrefix}/job-${job.id}/results/1.csv`,
            },
          ],
        }),
      );
      f.objects.putText(
        BACKUP,
        `${record.reportPrefix}/job-${job.id}/results/1.csv`,
        ["a", "b", "c"].map((k) => `${SOURCE},${k},,failed,403,AccessDenied,Access Denied`).join("\n"),
      );
      const result = await followUp(f);
      assert.deepEqual(result, {
        state: "ended",
        record,
        status: "Failed",
        total: 3,
        succeeded: 0,
        failed: 3,
        failures: ["a", "b", "c"].map((key) => ({ key, message: "AccessDenied: HTTP 403: Access Denied" })),
        reasons: ["Task failure rate exceeded: More than 50% of the tasks failed"],
      });
      assert.deepEqual(JSON.parse(f.objects.text(BACKUP, RECORD_KEY)!), {
        ...record,
        reportedAt: now.toISOString(),
      });
      assert.equal(f.objects.text(BACKUP, etagPairsKey(PREFIX)), undefined, "no copy made, no pairs");
      assert.deepEqual(await followUp(f), { state: "none" }, "reported once");
    });

    it("must end on Complete and Cancelled too, and keep a reason's code or text alone", async () => {
      for (const status of ["Complete", "Cancelled"] as const) {
        const f = fakes();
        await started(f, ["a"]);
        const job = onlyJob(f.control);
        end(job, status, 0, 0);
        job.failureReasons.push({ FailureCode: "", FailureReason: "Cancelled by the account" });
        job.failureReasons.push({ FailureCode: "Code", FailureReason: "" });
        const result = await followUp(f);
        assert.equal(result.state, "ended", status);
        assert.deepEqual(result.state === "ended" && result.reasons, ["Cancelled by the account", "Code"]);
        assert.deepEqual(
          result.state === "ended" && result.failures,
          [],
          "no failed task: the report is not read",
        );
        assert.ok(!f.objects.requests.some((r) => r.key.includes("/report/")));
      }
    });

    it("must count the manifest's objects when DescribeJob gives no total, and keep going without a readable report", async () => {
      const f = fakes();
      const record = await started(f, ["a", "b"]);
      const job = onlyJob(f.control);
      end(job, "Complete", 1, 1);
      beforeFakeControl(f, "noTotal", (next) => async (args) => {
        const result = await next(args);
        const out = result.output as { Job?: { ProgressSummary?: { TotalNumberOfTasks?: number } } };
        delete out.Job?.ProgressSummary?.TotalNumberOfTasks;
        return result;
      });
      const result = await followUp(f);
      assert.equal(result.state, "ended");
      assert.equal(result.state === "ended" && result.total, record.objects);
      assert.deepEqual(result.state === "ended" && result.failures, [], "the report is missing");
      assert.deepEqual(result.state === "ended" && result.reasons, [], "DescribeJob named no failure reason");
      assert.ok(JSON.parse(f.objects.text(BACKUP, RECORD_KEY)!).reportedAt);
    });

    it("must take the manifest's count and no task done for an ended job DescribeJob shows without progress", async () => {
      const f = fakes();
      const record = await started(f, ["a", "b"]);
      end(onlyJob(f.control), "Complete", 2, 0);
      beforeFakeControl(f, "noProgress", (next) => async (args) => {
        const result = await next(args);
        const out = result.output as { Job?: { ProgressSummary?: unknown } };
        delete out.Job?.ProgressSummary;
        return result;
      });
      assert.deepEqual(await followUp(f), {
        state: "ended",
        record,
        status: "Complete",
        total: 2,
        succeeded: 0,
        failed: 0,
        failures: [],
        reasons: [],
      });
    });

    it("must store the pairs of ETags of the job's copies, only for copies of the listed size", async () => {
      const f = fakes();
      f.objects.putText(
        BACKUP,
        etagPairsKey(PREFIX),
        JSON.stringify({ version: 1, pairs: [["k-old", "s-old"]] }),
      );
      await started(f, ["a", "b", "c", "d"]);
      // The job's copies into an SSE-KMS bucket: ETags that are not the source's. b's task failed
      // (no copy), c's copy has another size (not the listed version), d's ETag equals its source's.
      f.objects.putText(BACKUP, `${PREFIX}a`, "aaaa", '"k-a"');
      f.objects.putText(BACKUP, `${PREFIX}c`, "ccccc", '"k-c"');
      f.objects.putText(BACKUP, `${PREFIX}d`, "dddd", '"s-d"');
      f.objects.putText(BACKUP, `${PREFIX}e`, "eeee", '"k-e"');
      end(onlyJob(f.control), "Complete", 3, 0);
      const controller = new AbortController();
      const before = f.objects.requests.length;
      const result = await followUp(f, controller.signal);
      assert.equal(result.state, "ended");
      assert.deepEqual(JSON.parse(f.objects.text(BACKUP, etagPairsKey(PREFIX))!), {
        version: 1,
        pairs: [
          ["k-a", "s-a"],
          ["k-old", "s-old"],
        ],
      });
      assert.ok(
        f.objects.requests
          .slice(before)
          .filter((r) => r.command === "GetObjectCommand")
          .every((r) => r.signal === controller.signal),
        "every read of the follow-up can be aborted with the run (the listing forwards it to each page's own)",
      );
      const list = f.objects.sent("ListObjectsV2");
      assert.equal(list.length, 1);
      assert.equal(list[0]?.input.Prefix, PREFIX);
    });

    it("must store no pairs when the job's copies need none, and report the job even when the pairs fail", async () => {
      const f = fakes();
      await started(f, ["d"]);
      f.objects.putText(BACKUP, `${PREFIX}d`, "dddd", '"s-d"');
      end(onlyJob(f.control), "Complete", 1, 0);
      await followUp(f);
      assert.equal(f.objects.text(BACKUP, etagPairsKey(PREFIX)), undefined);

      const g = fakes();
      await started(g, ["a"]);
      g.objects.putText(BACKUP, `${PREFIX}a`, "aaaa", '"k-a"');
      end(onlyJob(g.control), "Complete", 1, 0);
      g.objects.fail = (r) =>
        r.command === "ListObjectsV2Command"
          ? s3Failure("SlowDown", 503, "Please reduce your request rate.")
          : undefined;
      const result = await followUp(g);
      assert.equal(result.state, "ended");
      assert.ok(JSON.parse(g.objects.text(BACKUP, RECORD_KEY)!).reportedAt, "reported all the same");
      assert.equal(g.objects.text(BACKUP, etagPairsKey(PREFIX)), undefined);
    });

    it("must read the report only when tasks failed, and the pairs only when some succeeded", async () => {
      const f = fakes();
      await started(f, ["a"]);
      end(onlyJob(f.control), "Complete", 0, 0);
      await followUp(f);
      assert.deepEqual(
        f.objects.requests.filter((r) => r.command !== "PutObjectCommand").map((r) => r.key),
        [".drox-backup/batch/big-data/run-1/manifest.csv", RECORD_KEY],
        "CreateJob's read of the manifest, then the record: nothing else",
      );
    });
  });
});
