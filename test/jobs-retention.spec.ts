import assert from "node:assert/strict";
import { CreateSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import { applyRetention, runBackups } from "../runtime/jobs";
import {
  createKmsKey,
  createTestDbInstance,
  createTestVolume,
  DR_REGION,
  FAST_WAITS,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

const FAST = { ...FAST_WAITS, skipRetention: true };
const DAY = 86_400_000;

/** Snapshots of the test volume (moto also holds snapshots behind its built-in AMIs). */
async function snapshotIds(ec2: EC2Client): Promise<string[]> {
  const out = await ec2.send(
    new DescribeSnapshotsCommand({
      Filters: [{ Name: "volume-id", Values: [process.env.DROX_TEST_VOLUME!] }],
    }),
  );
  return (out.Snapshots ?? []).map((s) => s.SnapshotId!).sort();
}

async function dbSnapshotIds(rds: RDSClient): Promise<string[]> {
  const out = await rds.send(new DescribeDBSnapshotsCommand({}));
  return (out.DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier!).sort();
}

describe("snapshot retention", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let ec2: EC2Client;
  let rds: RDSClient;
  let foreignSnapshots: string[];
  /** The DBA's manual snapshot and the automated one RDS (moto) takes at creation. */
  let foreignDbSnapshots: string[];

  beforeEach(async () => {
    ec2 = new EC2Client({});
    rds = new RDSClient({});
    const VolumeId = await createTestVolume({ ec2, encrypted: false });
    await createTestDbInstance("db-prod-1", { rds });
    // Snapshots someone else made: untagged, tagged by another tool, and one that only looks like ours.
    foreignSnapshots = [];
    for (const tags of [
      [],
      [{ Key: "ManagedBy", Value: "dlm" }],
      [{ Key: "drox-backup:managed", Value: "false" }],
    ]) {
      const out = await ec2.send(
        new CreateSnapshotCommand({
          VolumeId,
          ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: "snapshot", Tags: tags }] } : {}),
        }),
      );
      foreignSnapshots.push(out.SnapshotId!);
    }
    await rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: "db-prod-1",
        DBSnapshotIdentifier: "manual-by-dba",
      }),
    );
    process.env.DROX_TEST_VOLUME = VolumeId;
    foreignDbSnapshots = await dbSnapshotIds(rds);
    assert.ok(foreignDbSnapshots.includes("manual-by-dba"));
  });

  it("must delete only its own snapshots, and only once they are older than RETENTION_DAYS", async () => {
    const env = { ...aws.fixture.env, RETENTION_DAYS: "7" };
    const volume = process.env.DROX_TEST_VOLUME!;
    const results = await runBackups(
      "ALL",
      FAST,
      testDeps({ ...env, EBS_VOLUME_IDS: volume, RDS_INSTANCE_IDS: "db-prod-1" }),
    );
    const own = results.map((r) => r.metrics!.snapshotId!);
    assert.equal(own.length, 2);

    const early = await applyRetention(testDeps(env, { now: () => new Date(Date.now() + 6 * DAY) }), [
      "EBS",
      "RDS",
    ]);
    assert.deepEqual(early.deleted, []);

    const late = await applyRetention(testDeps(env, { now: () => new Date(Date.now() + 8 * DAY) }), [
      "EBS",
      "RDS",
    ]);
    assert.deepEqual(late.deleted.sort(), [...own].sort());
    assert.deepEqual(late.failed, []);
    assert.deepEqual(await snapshotIds(ec2), [...foreignSnapshots].sort());
    assert.deepEqual(await dbSnapshotIds(rds), foreignDbSnapshots);
  });

  it("must expire DR copies after DR_RETENTION_DAYS, independently of the primary region", async () => {
    const key = await createKmsKey(aws.moto, DR_REGION);
    const env = {
      ...aws.fixture.env,
      RETENTION_DAYS: "7",
      DR_REGION,
      DR_RETENTION_DAYS: "30",
      DR_KMS_KEY_ID: key,
    };
    const volume = process.env.DROX_TEST_VOLUME!;
    const results = await runBackups(
      "ALL",
      FAST,
      testDeps({ ...env, EBS_VOLUME_IDS: volume, RDS_INSTANCE_IDS: "db-prod-1" }),
    );
    const copies = results.map((r) => r.metrics!.copySnapshotId!).sort();

    const afterWeek = await applyRetention(testDeps(env, { now: () => new Date(Date.now() + 8 * DAY) }), [
      "EBS",
      "RDS",
    ]);
    assert.deepEqual(afterWeek.deleted.sort(), results.map((r) => r.metrics!.snapshotId!).sort());
    const afterMonth = await applyRetention(testDeps(env, { now: () => new Date(Date.now() + 31 * DAY) }), [
      "EBS",
      "RDS",
    ]);
    assert.deepEqual(afterMonth.deleted.sort(), copies);
    assert.deepEqual(await snapshotIds(new EC2Client({ region: DR_REGION })), []);
    assert.deepEqual(await dbSnapshotIds(new RDSClient({ region: DR_REGION })), []);
    assert.deepEqual(await snapshotIds(ec2), [...foreignSnapshots].sort());
  });
});
