import assert from "node:assert/strict";
import { DescribeDBSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import type { BackupResult } from "../runtime/contract/events";
import { runBackups } from "../runtime/jobs";
import { GIB } from "../runtime/jobs/result";
import {
  createKmsKey,
  createTestDbInstance,
  DR_REGION,
  drainQueue,
  FAST_WAITS,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

describe("RDS backup job", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let rds: RDSClient;

  beforeEach(async () => {
    rds = new RDSClient({});
  });

  it("must take a tagged DB snapshot, verify it available and encrypted, record and publish it", async () => {
    await createTestDbInstance("db-prod-1", { rds, allocatedStorage: 50, encrypted: true });
    const deps = testDeps({ ...aws.fixture.env, RDS_INSTANCE_IDS: "db-prod-1" });
    const [result, ...rest] = await runBackups("RDS", FAST_WAITS, deps);
    assert.equal(rest.length, 0);
    assert.equal(result!.status, "SUCCEEDED");
    assert.deepEqual(result!.verification, { dbVerified: true });
    assert.equal(result!.metrics?.sizeBytes, 50 * GIB);
    const { DBSnapshots } = await rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: result!.metrics!.snapshotId! }),
    );
    const snapshot = DBSnapshots![0]!;
    assert.equal(snapshot.DBInstanceIdentifier, "db-prod-1");
    assert.equal(snapshot.Status, "available");
    assert.equal(snapshot.Encrypted, true);
    const tags = tagMap(snapshot.TagList);
    assert.equal(tags["drox-backup:managed"], "true");
    assert.equal(tags["drox-backup:job-id"], result!.jobId);
    assert.equal(tags.Name, "drox-backup-db-prod-1");
    assert.deepEqual(await deps.history.get(result!.jobId), result);
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), result);
  });

  it("must fail a missing instance with the seed's message, not a stack trace", async () => {
    const deps = testDeps(aws.fixture.env);
    const [result] = await runBackups("RDS", { ...FAST_WAITS, resources: ["db-instance-1"] }, deps);
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.error, { message: "Database instance not found", code: "DBInstanceNotFound" });
    assert.equal(result!.resource, "db-instance-1");
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual((JSON.parse(message!.Message) as BackupResult).error, result!.error);
    assert.equal(message!.MessageAttributes?.status?.Value, "FAILED");
  });

  it("must warn when the DB snapshot is not encrypted", async () => {
    await createTestDbInstance("db-plain", { rds, allocatedStorage: 50, encrypted: false });
    const deps = testDeps(aws.fixture.env);
    const [result] = await runBackups("RDS", { ...FAST_WAITS, resources: ["db-plain"] }, deps);
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.equal(result!.error?.code, "SnapshotNotEncrypted");
  });

  it("must select instances by BACKUP_TAG", async () => {
    await createTestDbInstance("db-tagged", {
      rds,
      allocatedStorage: 50,
      encrypted: true,
      tags: [{ Key: "Backup", Value: "true" }],
    });
    await createTestDbInstance("db-other", { rds, allocatedStorage: 50, encrypted: true });
    const deps = testDeps({ ...aws.fixture.env, BACKUP_TAG: "Backup=true" });
    const results = await runBackups("RDS", FAST_WAITS, deps);
    assert.deepEqual(
      results.map((r) => r.resource),
      ["db-tagged"],
    );
  });

  it("must copy the DB snapshot to DR_REGION encrypted with the DR key and tagged", async () => {
    await createTestDbInstance("db-prod-1", { rds, allocatedStorage: 50, encrypted: true });
    const key = await createKmsKey(aws.moto, DR_REGION);
    const deps = testDeps({ ...aws.fixture.env, DR_REGION, DR_KMS_KEY_ID: key, DR_RETENTION_DAYS: "30" });
    const [result] = await runBackups("RDS", { ...FAST_WAITS, resources: ["db-prod-1"] }, deps);
    assert.equal(result!.status, "SUCCEEDED");
    assert.equal(result!.metrics?.copyRegion, DR_REGION);
    const dr = new RDSClient({ region: DR_REGION });
    const { DBSnapshots } = await dr.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: result!.metrics!.copySnapshotId! }),
    );
    const copy = DBSnapshots![0]!;
    assert.equal(copy.Encrypted, true);
    assert.equal(copy.KmsKeyId, key);
    const tags = tagMap(copy.TagList);
    assert.equal(tags["drox-backup:managed"], "true");
    assert.equal(tags["drox-backup:retention-days"], "30");
  });
});
