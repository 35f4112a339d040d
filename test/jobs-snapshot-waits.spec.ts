import assert from "node:assert/strict";
import {
  DescribeSnapshotsCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
} from "@aws-sdk/client-ec2";
import { RDSClient, type DescribeDBSnapshotsCommandOutput } from "@aws-sdk/client-rds";
import type { BackupResult } from "../runtime/contract/events";
import { runBackups } from "../runtime/jobs";
import { GIB } from "../runtime/jobs/result";
import {
  createTestDbInstance,
  createTestVolume,
  drainQueue,
  FAST_WAITS,
  rewriteOutput,
  testDeps,
  timed,
  useJobsAws,
} from "./jobs-fixtures";

/** An EC2 client whose DescribeSnapshots always reports `state` (moto completes snapshots at once). */
function ec2Reporting(state: "pending" | "error", stateMessage?: string): EC2Client {
  const ec2 = new EC2Client({});
  rewriteOutput<DescribeSnapshotsCommandOutput>(ec2, "DescribeSnapshotsCommand", (out) => {
    for (const s of out.Snapshots ?? []) {
      s.State = state;
      s.StateMessage = stateMessage;
    }
  });
  return ec2;
}

function rdsReporting(status: string): RDSClient {
  const rds = new RDSClient({});
  rewriteOutput<DescribeDBSnapshotsCommandOutput>(rds, "DescribeDBSnapshotsCommand", (out) => {
    for (const s of out.DBSnapshots ?? []) s.Status = status;
  });
  return rds;
}

describe("snapshot waits: still in progress at the timeout, and failure", function () {
  this.timeout(60_000);
  const aws = useJobsAws();

  /** The one result was recorded as returned and published with its status. */
  async function assertDelivered(deps: ReturnType<typeof testDeps>, result: BackupResult): Promise<void> {
    assert.deepEqual(await deps.history.get(result.jobId), result);
    const messages = await drainQueue(aws.fixture);
    assert.equal(messages.length, 1);
    assert.deepEqual(JSON.parse(messages[0]!.Message), result);
    assert.equal(messages[0]!.MessageAttributes?.status?.Value, result.status);
  }

  it("must report an EBS snapshot still pending at JOB_TIMEOUT_SECONDS as WARNING SnapshotPending, and not hang", async () => {
    const volume = await createTestVolume();
    const deps = testDeps({ ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "2" }, { ec2: ec2Reporting("pending") });
    const { value: results, ms } = await timed(() =>
      runBackups("EBS", { ...FAST_WAITS, resources: [volume], skipRetention: true }, deps),
    );
    assert.equal(results.length, 1);
    const [result] = results;
    const snapshotId = result!.metrics?.snapshotId;
    assert.match(snapshotId ?? "", /^snap-[0-9a-f]+$/);
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.metrics, { snapshotId, sizeBytes: 8 * GIB });
    assert.deepEqual(result!.error, {
      message:
        `Snapshot ${snapshotId} still pending after 2 s; it was created and usually completes later. ` +
        "The integrity check will follow it up and report it if it is not done within 24 h.",
      code: "SnapshotPending",
    });
    // The SDK's waiter stops when its next poll (1 s here) would land past the deadline.
    assert.ok(ms >= 1_000, `polled again before giving up (${ms} ms)`);
    assert.ok(ms < 10_000, `bounded by the timeout (${ms} ms)`);
    await assertDelivered(deps, result!);
    // The snapshot exists and is ours: the integrity check finds it by its tags later.
    const { Snapshots } = await new EC2Client({}).send(
      new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId!] }),
    );
    assert.equal(Snapshots?.[0]?.Tags?.find((t) => t.Key === "drox-backup:job-id")?.Value, result!.jobId);
  });

  it("must fail an EBS snapshot in state error with SnapshotFailed at once, not after the timeout", async () => {
    const volume = await createTestVolume();
    const deps = testDeps(
      { ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "600" },
      { ec2: ec2Reporting("error", "Internal error while copying blocks") },
    );
    const { value: results, ms } = await timed(() =>
      runBackups("EBS", { ...FAST_WAITS, resources: [volume], skipRetention: true }, deps),
    );
    const [result] = results;
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.error, {
      message: `Snapshot ${result!.metrics!.snapshotId} failed: Internal error while copying blocks`,
      code: "SnapshotFailed",
    });
    assert.ok(ms < 10_000, `the waiter stops on error (${ms} ms)`);
    await assertDelivered(deps, result!);
    // Only the answers were rewritten: the snapshot itself exists in moto, tagged as ours.
    const { Snapshots } = await new EC2Client({}).send(
      new DescribeSnapshotsCommand({ SnapshotIds: [result!.metrics!.snapshotId!] }),
    );
    assert.equal(Snapshots?.length, 1);
  });

  it("must report a DB snapshot still creating at JOB_TIMEOUT_SECONDS as WARNING SnapshotPending, and not hang", async () => {
    await createTestDbInstance("db-slow");
    const deps = testDeps(
      { ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "2" },
      { rds: rdsReporting("creating") },
    );
    const { value: results, ms } = await timed(() =>
      runBackups("RDS", { ...FAST_WAITS, resources: ["db-slow"], skipRetention: true }, deps),
    );
    assert.equal(results.length, 1);
    const [result] = results;
    const snapshotId = result!.metrics?.snapshotId;
    assert.match(snapshotId ?? "", /^drox-db-slow-[0-9a-z]+$/);
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.metrics, { snapshotId, sizeBytes: 20 * GIB });
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.deepEqual(result!.error, {
      message:
        `DB snapshot ${snapshotId} still creating after 2 s; it was created and usually completes later. ` +
        "The integrity check will follow it up and report it if it is not done within 24 h.",
      code: "SnapshotPending",
    });
    assert.ok(ms >= 1_000, `polled again before giving up (${ms} ms)`);
    assert.ok(ms < 10_000, `bounded by the timeout (${ms} ms)`);
    await assertDelivered(deps, result!);
  });

  it("must fail a DB snapshot whose status is failed with SnapshotFailed at once, not as a timeout", async () => {
    await createTestDbInstance("db-broken");
    const deps = testDeps(
      { ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "600" },
      { rds: rdsReporting("failed") },
    );
    const { value: results, ms } = await timed(() =>
      runBackups("RDS", { ...FAST_WAITS, resources: ["db-broken"], skipRetention: true }, deps),
    );
    const [result] = results;
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.deepEqual(result!.error, {
      message: `DB snapshot ${result!.metrics!.snapshotId} failed (status failed)`,
      code: "SnapshotFailed",
    });
    assert.ok(ms < 10_000, `the waiter stops on failure (${ms} ms)`);
    await assertDelivered(deps, result!);
  });
});
