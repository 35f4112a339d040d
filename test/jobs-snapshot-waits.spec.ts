import assert from "node:assert/strict";
import {
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
} from "@aws-sdk/client-ec2";
import {
  CreateDBInstanceCommand,
  RDSClient,
  type DescribeDBSnapshotsCommandOutput,
} from "@aws-sdk/client-rds";
import type { BackupResult } from "../runtime/events";
import { runBackups } from "../runtime/jobs";
import {
  createHistoryTable,
  createTopicWithQueue,
  drainQueue,
  rewriteOutput,
  testDeps,
  type AwsFixture,
} from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

const FAST = {
  ebs: { minDelaySeconds: 1, maxDelaySeconds: 1 },
  rds: { minDelaySeconds: 1, maxDelaySeconds: 1 },
};

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

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await work();
  return { value, ms: Date.now() - start };
}

describe("snapshot waits: timeout and failure", function () {
  this.timeout(60_000);
  let moto: Moto;
  let fixture: AwsFixture;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    await createHistoryTable();
    fixture = await createTopicWithQueue(moto);
  });

  async function createVolume(): Promise<string> {
    const out = await new EC2Client({}).send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, Encrypted: true }),
    );
    return out.VolumeId!;
  }

  async function createInstance(id: string): Promise<void> {
    await new RDSClient({}).send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: "db.t3.micro",
        Engine: "postgres",
        AllocatedStorage: 20,
        MasterUsername: "drox",
        MasterUserPassword: "not-a-secret-1",
        StorageEncrypted: true,
      }),
    );
  }

  /** The one result was recorded as returned and published with its status. */
  async function assertDelivered(deps: ReturnType<typeof testDeps>, result: BackupResult): Promise<void> {
    assert.deepEqual(await deps.history.get(result.jobId), result);
    const messages = await drainQueue(fixture);
    assert.equal(messages.length, 1);
    assert.deepEqual(JSON.parse(messages[0]!.Message), result);
    assert.equal(messages[0]!.MessageAttributes?.status?.Value, result.status);
  }

  it("must fail an EBS snapshot still pending at JOB_TIMEOUT_SECONDS with SnapshotTimeout, and not hang", async () => {
    const volume = await createVolume();
    const deps = testDeps({ ...fixture.env, JOB_TIMEOUT_SECONDS: "2" }, { ec2: ec2Reporting("pending") });
    const { value: results, ms } = await timed(() =>
      runBackups("EBS", { ...FAST, resources: [volume], skipRetention: true }, deps),
    );
    const [result] = results;
    assert.equal(result!.status, "FAILED");
    assert.equal(result!.error?.code, "SnapshotTimeout");
    assert.match(
      result!.error!.message,
      /^Snapshot snap-[0-9a-f]+ not completed within 2 s \(state pending\)$/,
    );
    assert.equal(result!.metrics?.snapshotId, /snap-[0-9a-f]+/.exec(result!.error!.message)![0]);
    // The SDK's waiter stops when its next poll (1 s here) would land past the deadline.
    assert.ok(ms >= 1_000, `polled again before giving up (${ms} ms)`);
    assert.ok(ms < 10_000, `bounded by the timeout (${ms} ms)`);
    await assertDelivered(deps, result!);
  });

  it("must fail an EBS snapshot in state error with SnapshotFailed at once, not after the timeout", async () => {
    const volume = await createVolume();
    const deps = testDeps(
      { ...fixture.env, JOB_TIMEOUT_SECONDS: "600" },
      { ec2: ec2Reporting("error", "Internal error while copying blocks") },
    );
    const { value: results, ms } = await timed(() =>
      runBackups("EBS", { ...FAST, resources: [volume], skipRetention: true }, deps),
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

  it("must fail a DB snapshot still creating at JOB_TIMEOUT_SECONDS with SnapshotTimeout, and not hang", async () => {
    await createInstance("db-slow");
    const deps = testDeps({ ...fixture.env, JOB_TIMEOUT_SECONDS: "2" }, { rds: rdsReporting("creating") });
    const { value: results, ms } = await timed(() =>
      runBackups("RDS", { ...FAST, resources: ["db-slow"], skipRetention: true }, deps),
    );
    const [result] = results;
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.deepEqual(result!.error, {
      message: `DB snapshot ${result!.metrics!.snapshotId} not available within 2 s (status creating)`,
      code: "SnapshotTimeout",
    });
    assert.ok(ms >= 1_000, `polled again before giving up (${ms} ms)`);
    assert.ok(ms < 10_000, `bounded by the timeout (${ms} ms)`);
    await assertDelivered(deps, result!);
  });

  it("must fail a DB snapshot whose status is failed with SnapshotFailed at once, not as a timeout", async () => {
    await createInstance("db-broken");
    const deps = testDeps({ ...fixture.env, JOB_TIMEOUT_SECONDS: "600" }, { rds: rdsReporting("failed") });
    const { value: results, ms } = await timed(() =>
      runBackups("RDS", { ...FAST, resources: ["db-broken"], skipRetention: true }, deps),
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
