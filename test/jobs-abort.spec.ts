import assert from "node:assert/strict";
import { Writable } from "node:stream";
import {
  DescribeSnapshotsCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
} from "@aws-sdk/client-ec2";
import { RDSClient, type DescribeDBSnapshotsCommandOutput } from "@aws-sdk/client-rds";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import type { BackupResult } from "../runtime/contract/events";
import { ABORTED_CODE, runBackups } from "../runtime/jobs";
import { createLogger } from "../runtime/logging/logger";
import { RunTracker } from "../runtime/server/runs";
import { createServiceDepsFromEnv } from "../runtime/server/wiring";
import {
  createBackupBucket,
  createTestDbInstance,
  createTestVolume,
  drainQueue,
  FAST_WAITS,
  motoS3,
  rewriteOutput,
  testDeps,
  timed,
  useJobsAws,
} from "./jobs-fixtures";

const SHUTDOWN = "the service is shutting down";
const silent = createLogger({
  destination: new Writable({ write: (_c, _e, done) => done() }),
  level: "silent",
});

function abortAfter(ms: number): AbortController {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error(SHUTDOWN)), ms).unref();
  return controller;
}

describe("aborting a backup run (service shutdown, SIGTERM)", function () {
  this.timeout(60_000);
  const aws = useJobsAws();

  /** Every result recorded as returned and published with status FAILED. */
  async function assertDeliveredFailed(deps: ReturnType<typeof testDeps>, results: BackupResult[]) {
    for (const r of results) assert.deepEqual(await deps.history.get(r.jobId), r);
    const published = await drainQueue(aws.fixture);
    assert.deepEqual(
      published
        .map((m) => JSON.parse(m.Message) as BackupResult)
        .sort((a, b) => a.jobId.localeCompare(b.jobId)),
      [...results].sort((a, b) => a.jobId.localeCompare(b.jobId)),
    );
    assert.ok(published.every((m) => m.MessageAttributes?.status?.Value === "FAILED"));
  }

  it("must end EBS snapshots still pending with FAILED Aborted results soon after the signal", async () => {
    const volumes = [await createTestVolume(), await createTestVolume()];
    const ec2 = new EC2Client({});
    rewriteOutput<DescribeSnapshotsCommandOutput>(ec2, "DescribeSnapshotsCommand", (out) => {
      for (const s of out.Snapshots ?? []) s.State = "pending";
    });
    const deps = testDeps({ ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "600" }, { ec2 });
    const abort = abortAfter(1_500);
    const { value: results, ms } = await timed(() =>
      runBackups("EBS", { ...FAST_WAITS, resources: volumes, signal: abort.signal }, deps),
    );
    assert.ok(ms < 6_000, `returned soon after the abort, not after JOB_TIMEOUT_SECONDS (${ms} ms)`);
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.equal(r.status, "FAILED");
      assert.deepEqual(r.error, {
        message: `Backup aborted before snapshot ${r.metrics!.snapshotId} completed (state pending): ${SHUTDOWN}`,
        code: ABORTED_CODE,
      });
    }
    await assertDeliveredFailed(deps, results);
  });

  it("must end a DB snapshot still creating with a FAILED Aborted result", async () => {
    await createTestDbInstance("db-prod-1");
    const rds = new RDSClient({});
    rewriteOutput<DescribeDBSnapshotsCommandOutput>(rds, "DescribeDBSnapshotsCommand", (out) => {
      for (const s of out.DBSnapshots ?? []) s.Status = "creating";
    });
    const deps = testDeps({ ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "600" }, { rds });
    const abort = abortAfter(1_500);
    const { value: results, ms } = await timed(() =>
      runBackups("RDS", { ...FAST_WAITS, resources: ["db-prod-1"], signal: abort.signal }, deps),
    );
    assert.ok(ms < 6_000, `returned soon after the abort (${ms} ms)`);
    const [result] = results;
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.deepEqual(result!.error, {
      message: `Backup aborted before DB snapshot ${result!.metrics!.snapshotId} was available (status creating): ${SHUTDOWN}`,
      code: ABORTED_CODE,
    });
    await assertDeliveredFailed(deps, results);
  });

  it("must stop an S3 sync mid-way and fail the buckets not yet started without syncing them", async () => {
    const s3 = motoS3();
    await createBackupBucket(s3);
    for (const bucket of ["big-bucket", "next-bucket"]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const limit = pLimit(16);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        limit(() => s3.send(new PutObjectCommand({ Bucket: "big-bucket", Key: `k${i}`, Body: `v${i}` }))),
      ),
    );
    await s3.send(new PutObjectCommand({ Bucket: "next-bucket", Key: "a", Body: "a" }));
    // Copies slowed to 100 ms each, 2 at a time: the 60 take ~3 s, the abort comes at 0.8 s.
    const slow = new S3Client({ forcePathStyle: true });
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "CopyObjectCommand") await new Promise((r) => setTimeout(r, 100));
        return next(args);
      },
      { step: "initialize", name: "slow-copies" },
    );
    const deps = testDeps(
      { ...aws.fixture.env, S3_SOURCE_BUCKETS: "big-bucket,next-bucket", S3_SYNC_CONCURRENCY: "2" },
      { s3: slow },
    );
    const abort = abortAfter(800);
    const { value: results, ms } = await timed(() => runBackups("S3", { signal: abort.signal }, deps));
    assert.ok(ms < 3_000, `stopped soon after the abort (${ms} ms)`);
    assert.deepEqual(
      results.map((r) => [r.resource, r.status, r.error?.code]),
      [
        ["big-bucket", "FAILED", ABORTED_CODE],
        ["next-bucket", "FAILED", ABORTED_CODE],
      ],
    );
    assert.match(
      results[0]!.error!.message,
      new RegExp(
        `^Backup aborted: S3 sync of bucket "big-bucket" was aborted after \\d+ objects copied: ${SHUTDOWN}$`,
      ),
    );
    assert.equal(results[1]!.error!.message, `Backup aborted before the sync started: ${SHUTDOWN}`);
    const copied = Number(/after (\d+) objects/.exec(results[0]!.error!.message)![1]);
    assert.ok(copied > 0 && copied < 60, `some but not all objects copied (${copied})`);
    await assertDeliveredFailed(deps, results);
  });

  it("must start nothing when the signal is already aborted, and still record and publish each target", async () => {
    const volume = await createTestVolume();
    const deps = testDeps(aws.fixture.env);
    const abort = new AbortController();
    abort.abort(new Error(SHUTDOWN));
    const results = await runBackups(
      "EBS",
      { ...FAST_WAITS, resources: [volume], signal: abort.signal },
      deps,
    );
    assert.deepEqual(
      results.map((r) => [r.resource, r.status, r.error]),
      [
        [
          volume,
          "FAILED",
          { message: `Backup aborted before its snapshot was started: ${SHUTDOWN}`, code: ABORTED_CODE },
        ],
      ],
    );
    const { Snapshots } = await new EC2Client({}).send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: "volume-id", Values: [volume] }] }),
    );
    assert.deepEqual(Snapshots, [], "no snapshot was created");
    await assertDeliveredFailed(deps, results);
  });

  it("must leave expired snapshots for the next run instead of deleting them while aborting", async () => {
    const volume = await createTestVolume();
    const env = { ...aws.fixture.env, EBS_VOLUME_IDS: volume };
    const [first] = await runBackups("EBS", FAST_WAITS, testDeps(env));
    const abort = new AbortController();
    abort.abort(new Error(SHUTDOWN));
    const nextWeek = new Date(Date.now() + 8 * 86_400_000);
    await runBackups("EBS", { ...FAST_WAITS, signal: abort.signal }, testDeps(env, { now: () => nextWeek }));
    const { Snapshots } = await new EC2Client({}).send(
      new DescribeSnapshotsCommand({ SnapshotIds: [first!.metrics!.snapshotId!] }),
    );
    assert.equal(Snapshots?.length, 1, "past RETENTION_DAYS, yet kept: retention is not run on abort");
    await runBackups("EBS", FAST_WAITS, testDeps(env, { now: () => nextWeek }));
    await assert.rejects(
      new EC2Client({}).send(new DescribeSnapshotsCommand({ SnapshotIds: [first!.metrics!.snapshotId!] })),
      /InvalidSnapshot.NotFound/,
      "the next full run expires it",
    );
  });

  it("must let the HTTP service's shutdown abort a run through its runner", async () => {
    const volume = await createTestVolume();
    const service = await createServiceDepsFromEnv(
      { ...process.env, ...aws.fixture.env, API_TOKEN: "test-token-abort", EBS_VOLUME_IDS: volume },
      silent,
    );
    const tracker = new RunTracker(silent);
    // The run is held until shutdown has aborted it, as a run past the grace period would be.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const run = tracker.start("EBS", [], async (signal) => {
      await held;
      return service.backups.run("EBS", { signal });
    });
    const draining = tracker.drain(50);
    setTimeout(release, 200);
    assert.equal(await draining, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const state = tracker.get(run.runId)!;
    assert.equal(state.status, "FINISHED");
    assert.deepEqual(
      state.results?.map((r) => [r.resource, r.status]),
      [[volume, "FAILED"]],
    );
    const [message] = await drainQueue(aws.fixture);
    const published = JSON.parse(message!.Message) as BackupResult;
    assert.deepEqual(published.error, {
      message: `Backup aborted before its snapshot was started: ${SHUTDOWN}`,
      code: ABORTED_CODE,
    });
  });
});
