import assert from "node:assert/strict";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { BackupResult } from "../runtime/contract/events";
import { DeliveryError, runBackups } from "../runtime/jobs";
import { GIB } from "../runtime/jobs/result";
import {
  createTestVolume,
  DR_REGION,
  drainQueue,
  FAST_WAITS,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

describe("EBS backup job", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let ec2: EC2Client;

  beforeEach(async () => {
    ec2 = new EC2Client({});
  });

  it("must snapshot each volume with our tags, record it and publish it", async () => {
    const a = await createTestVolume({ ec2, size: 8 });
    const b = await createTestVolume({ ec2, size: 100 });
    const deps = testDeps({ ...aws.fixture.env, EBS_VOLUME_IDS: `${a},${b}` });
    const results = await runBackups("EBS", FAST_WAITS, deps);

    assert.deepEqual(
      results.map((r) => [r.resource, r.status, r.metrics?.sizeBytes]),
      [
        [a, "SUCCEEDED", 8 * GIB],
        [b, "SUCCEEDED", 100 * GIB],
      ],
    );
    for (const result of results) {
      const { Snapshots } = await ec2.send(
        new DescribeSnapshotsCommand({ SnapshotIds: [result.metrics!.snapshotId!] }),
      );
      const snapshot = Snapshots![0]!;
      assert.equal(snapshot.VolumeId, result.resource);
      assert.equal(snapshot.State, "completed");
      assert.deepEqual(tagMap(snapshot.Tags), {
        Name: `drox-backup-${result.resource}`,
        "drox-backup:managed": "true",
        ManagedBy: "drox-backup",
        "drox-backup:job-id": result.jobId,
        "drox-backup:source": result.resource,
        "drox-backup:retention-days": "7",
      });
      assert.deepEqual(await deps.history.get(result.jobId), result);
    }
    const published = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as BackupResult);
    assert.deepEqual(published.map((e) => e.jobId).sort(), results.map((r) => r.jobId).sort());
  });

  it("must select volumes by BACKUP_TAG as well as by id", async () => {
    const tagged = await createTestVolume({ ec2, size: 10, tags: [{ Key: "Backup", Value: "true" }] });
    await createTestVolume({ ec2, size: 10, tags: [{ Key: "Backup", Value: "false" }] });
    const explicit = await createTestVolume({ ec2, size: 10 });
    const deps = testDeps({ ...aws.fixture.env, BACKUP_TAG: "Backup=true", EBS_VOLUME_IDS: explicit });
    const results = await runBackups("EBS", FAST_WAITS, deps);
    assert.deepEqual(results.map((r) => r.resource).sort(), [explicit, tagged].sort());
  });

  it("must report a missing volume as FAILED with a clear message while backing up the rest", async () => {
    const good = await createTestVolume({ ec2, size: 8 });
    const deps = testDeps(aws.fixture.env);
    const results = await runBackups(
      "EBS",
      { ...FAST_WAITS, resources: ["vol-0123456789abcdef0", good] },
      deps,
    );
    const missing = results.find((r) => r.resource === "vol-0123456789abcdef0")!;
    assert.equal(missing.status, "FAILED");
    assert.deepEqual(missing.error, {
      message: "Volume not found: vol-0123456789abcdef0",
      code: "InvalidVolume.NotFound",
    });
    assert.equal(results.find((r) => r.resource === good)!.status, "SUCCEEDED");
    assert.equal((await deps.history.get(missing.jobId))?.status, "FAILED");
    const published = (await drainQueue(aws.fixture)).find(
      (m) => m.MessageAttributes?.status?.Value === "FAILED",
    );
    assert.equal((JSON.parse(published!.Message) as BackupResult).resource, "vol-0123456789abcdef0");
  });

  it("must copy each new snapshot to DR_REGION, encrypted and tagged with the DR retention", async () => {
    const volume = await createTestVolume({ ec2, size: 20 });
    const deps = testDeps({
      ...aws.fixture.env,
      DR_REGION,
      DR_RETENTION_DAYS: "30",
      DR_KMS_KEY_ID: "alias/drox-dr",
    });
    const [result] = await runBackups("EBS", { ...FAST_WAITS, resources: [volume] }, deps);
    assert.equal(result!.status, "SUCCEEDED");
    assert.equal(result!.metrics?.copyRegion, DR_REGION);
    const dr = new EC2Client({ region: DR_REGION });
    const { Snapshots } = await dr.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [result!.metrics!.copySnapshotId!] }),
    );
    const copy = Snapshots![0]!;
    assert.equal(copy.Encrypted, true);
    const tags = tagMap(copy.Tags);
    assert.equal(tags["drox-backup:managed"], "true");
    assert.equal(tags["drox-backup:retention-days"], "30");
    assert.equal(tags["drox-backup:copy-of"], `us-east-1/${result!.metrics!.snapshotId}`);
    const primary = await ec2
      .send(new DescribeSnapshotsCommand({ SnapshotIds: [result!.metrics!.copySnapshotId!] }))
      .catch(() => undefined);
    assert.equal(primary, undefined, "the copy lives only in the DR region");
  });

  it("must still record every result and then fail when publishing fails", async () => {
    const a = await createTestVolume({ ec2, size: 8 });
    const b = await createTestVolume({ ec2, size: 8 });
    const deps = testDeps(aws.fixture.env, {
      publisher: {
        publish: () => Promise.reject(new Error("topic unavailable")),
      },
    });
    const error = await runBackups("EBS", { ...FAST_WAITS, resources: [a, b] }, deps).then(
      () => assert.fail("must reject"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DeliveryError);
    assert.deepEqual(
      error.results.map((r) => [r.resource, r.status]),
      [
        [a, "SUCCEEDED"],
        [b, "SUCCEEDED"],
      ],
    );
    assert.match(
      error.message,
      /^2 result\(s\) could not be recorded or published: publish backup\.result\.v1: topic unavailable/,
    );
    for (const r of error.results) assert.deepEqual(await deps.history.get(r.jobId), r);
  });

  it("must refuse to run without any EBS target", async () => {
    const deps = testDeps(aws.fixture.env);
    await assert.rejects(
      runBackups("EBS", FAST_WAITS, deps),
      /nothing to back up for EBS: set EBS_VOLUME_IDS or BACKUP_TAG/,
    );
  });
});
