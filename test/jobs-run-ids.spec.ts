/**
 * Runs named by the caller (the HTTP service's 202 answer): every result's job id is derived from
 * the run id in plan order, so the ids answered at once are the ones in history, SNS, Slack and
 * Notion, and snapshots carry them in their tags.
 */
import assert from "node:assert/strict";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeDBSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ulid } from "ulid";
import { ValidationError } from "../runtime/contract/errors";
import { parseEventJson } from "../runtime/contract/events";
import { runBackups, runIdOf, runJobId, runJobPrefix, runStartedAt } from "../runtime/jobs";
import {
  createBackupBucket,
  createTestDbInstance,
  createTestVolume,
  drainQueue,
  FAST_WAITS,
  motoS3,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

describe("job ids of a named run", function () {
  this.timeout(120_000);
  const aws = useJobsAws();

  it("must derive each job id from the run id in plan order (EBS, RDS, S3), recorded and published", async () => {
    const a = await createTestVolume();
    const b = await createTestVolume();
    await createTestDbInstance("db-prod-1");
    const s3 = motoS3();
    await createBackupBucket(s3);
    await s3.send(new CreateBucketCommand({ Bucket: "app-data" }));
    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "a.txt", Body: "a" }));
    const deps = testDeps({
      ...aws.fixture.env,
      EBS_VOLUME_IDS: `${a},${b}`,
      RDS_INSTANCE_IDS: "db-prod-1",
      S3_SOURCE_BUCKETS: "app-data",
    });
    const runId = ulid();
    const results = await runBackups("ALL", { ...FAST_WAITS, runId }, deps);
    assert.deepEqual(
      results.map((r) => [r.jobId, r.type, r.resource, r.status]),
      [
        [`${runId}-1`, "EBS", a, "SUCCEEDED"],
        [`${runId}-2`, "EBS", b, "SUCCEEDED"],
        [`${runId}-3`, "RDS", "db-prod-1", "SUCCEEDED"],
        [`${runId}-4`, "S3", "app-data", "SUCCEEDED"],
      ],
    );
    for (const r of results) assert.deepEqual(await deps.history.get(r.jobId), r);
    const published = (await drainQueue(aws.fixture)).map((m) => parseEventJson(m.Message));
    assert.deepEqual(
      published.map((e) => (e.schema === "backup.result.v1" ? e.jobId : e.schema)).sort(),
      [1, 2, 3, 4].map((n) => `${runId}-${n}`),
    );
    const { Snapshots } = await new EC2Client({}).send(
      new DescribeSnapshotsCommand({ SnapshotIds: [results[0]!.metrics!.snapshotId!] }),
    );
    assert.equal(tagMap(Snapshots?.[0]?.Tags)["drox-backup:job-id"], `${runId}-1`);
    const { DBSnapshots } = await new RDSClient({}).send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: results[2]!.metrics!.snapshotId! }),
    );
    assert.equal(DBSnapshots?.[0]?.DBSnapshotIdentifier, `drox-db-prod-1-${runId.toLowerCase()}-3`);
    assert.equal(tagMap(DBSnapshots?.[0]?.TagList)["drox-backup:job-id"], `${runId}-3`);
  });

  it("must give a single-resource run exactly the job id <runId>-1, and unnamed runs their own ULIDs", async () => {
    const volume = await createTestVolume();
    const deps = testDeps(aws.fixture.env);
    const runId = ulid();
    const [named, ...none] = await runBackups("EBS", { ...FAST_WAITS, resources: [volume], runId }, deps);
    assert.equal(none.length, 0);
    assert.equal(named!.jobId, runJobId(runId, 1));
    assert.equal(named!.jobId, `${runId}-1`);
    const [unnamed] = await runBackups("EBS", { ...FAST_WAITS, resources: [volume] }, deps);
    assert.match(unnamed!.jobId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("must refuse a run id that cannot make valid job ids before touching anything", async () => {
    const volume = await createTestVolume();
    const deps = testDeps(aws.fixture.env);
    for (const runId of ["", "has space", "x".repeat(101)]) {
      await assert.rejects(
        runBackups("EBS", { ...FAST_WAITS, resources: [volume], runId }, deps),
        (error: unknown) => error instanceof ValidationError && /run id/.test(error.message),
      );
    }
    const { Snapshots } = await new EC2Client({}).send(
      new DescribeSnapshotsCommand({ Filters: [{ Name: "volume-id", Values: [volume] }] }),
    );
    assert.equal(Snapshots?.length, 0);
    assert.equal((await drainQueue(aws.fixture)).length, 0);
  });

  it("must map job ids back to their run, and a ULID run id to its start time", () => {
    const runId = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";
    assert.equal(runIdOf(runJobId(runId, 12)), runId);
    assert.equal(runJobPrefix(runId), `${runId}-`);
    assert.equal(runIdOf(runId), undefined, "a plain ULID job id belongs to no run");
    assert.equal(runIdOf(`${runId}-0`), undefined);
    assert.equal(runStartedAt(runId)?.toISOString(), "2024-11-10T02:40:38.172Z");
    assert.equal(runStartedAt("custom-run"), undefined);
  });
});
