import assert from "node:assert/strict";
import {
  CreateDBInstanceCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type Tag,
} from "@aws-sdk/client-rds";
import type { BackupResult } from "../runtime/events";
import { runBackups } from "../runtime/jobs";
import { GIB } from "../runtime/jobs/result";
import {
  createHistoryTable,
  createKmsKey,
  createTopicWithQueue,
  DR_REGION,
  drainQueue,
  testDeps,
  type AwsFixture,
} from "./jobs-fixtures";
import { useMoto, type Moto } from "./support/moto";

const FAST = { rds: { minDelaySeconds: 1, maxDelaySeconds: 1 } };

async function createInstance(
  rds: RDSClient,
  id: string,
  encrypted: boolean,
  tags: Tag[] = [],
): Promise<void> {
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: "db.t3.micro",
      Engine: "postgres",
      AllocatedStorage: 50,
      MasterUsername: "drox",
      MasterUserPassword: "not-a-secret-1",
      StorageEncrypted: encrypted,
      Tags: tags,
    }),
  );
}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key!, t.Value!]));
}

describe("RDS backup job", function () {
  this.timeout(120_000);
  let moto: Moto;
  let fixture: AwsFixture;
  let rds: RDSClient;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    await createHistoryTable();
    fixture = await createTopicWithQueue(moto);
    rds = new RDSClient({});
  });

  it("must take a tagged DB snapshot, verify it available and encrypted, record and publish it", async () => {
    await createInstance(rds, "db-prod-1", true);
    const deps = testDeps({ ...fixture.env, RDS_INSTANCE_IDS: "db-prod-1" });
    const [result, ...rest] = await runBackups("RDS", FAST, deps);
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
    const [message] = await drainQueue(fixture);
    assert.deepEqual(JSON.parse(message!.Message), result);
  });

  it("must fail a missing instance with the seed's message, not a stack trace", async () => {
    const deps = testDeps(fixture.env);
    const [result] = await runBackups("RDS", { ...FAST, resources: ["db-instance-1"] }, deps);
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.error, { message: "Database instance not found", code: "DBInstanceNotFound" });
    assert.equal(result!.resource, "db-instance-1");
    const [message] = await drainQueue(fixture);
    assert.deepEqual((JSON.parse(message!.Message) as BackupResult).error, result!.error);
    assert.equal(message!.MessageAttributes?.status?.Value, "FAILED");
  });

  it("must warn when the DB snapshot is not encrypted", async () => {
    await createInstance(rds, "db-plain", false);
    const deps = testDeps(fixture.env);
    const [result] = await runBackups("RDS", { ...FAST, resources: ["db-plain"] }, deps);
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.equal(result!.error?.code, "SnapshotNotEncrypted");
  });

  it("must select instances by BACKUP_TAG", async () => {
    await createInstance(rds, "db-tagged", true, [{ Key: "Backup", Value: "true" }]);
    await createInstance(rds, "db-other", true);
    const deps = testDeps({ ...fixture.env, BACKUP_TAG: "Backup=true" });
    const results = await runBackups("RDS", FAST, deps);
    assert.deepEqual(
      results.map((r) => r.resource),
      ["db-tagged"],
    );
  });

  it("must copy the DB snapshot to DR_REGION encrypted with the DR key and tagged", async () => {
    await createInstance(rds, "db-prod-1", true);
    const key = await createKmsKey(moto, DR_REGION);
    const deps = testDeps({ ...fixture.env, DR_REGION, DR_KMS_KEY_ID: key, DR_RETENTION_DAYS: "30" });
    const [result] = await runBackups("RDS", { ...FAST, resources: ["db-prod-1"] }, deps);
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
