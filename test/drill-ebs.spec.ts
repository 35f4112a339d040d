import assert from "node:assert/strict";
import { DescribeVolumesCommand, EC2Client, type Volume } from "@aws-sdk/client-ec2";
import type { Drill } from "../runtime/contract/events";
import { runDrill } from "../runtime/drills";
import { runBackups } from "../runtime/jobs";
import { drillDeps, FAST_DRILL_WAITS, recordCalls } from "./drill-fixtures";
import {
  createTestVolume,
  drainQueue,
  FAST_WAITS,
  rewriteOutput,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

async function drillVolumes(ec2: EC2Client): Promise<Volume[]> {
  const out = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: "tag-key", Values: ["drox-backup:drill"] }] }),
  );
  return out.Volumes ?? [];
}

describe("EBS restore drill", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let ec2: EC2Client;

  beforeEach(() => {
    ec2 = new EC2Client({});
  });

  async function backedUp(size = 8): Promise<{ volumeId: string; snapshotId: string }> {
    const volumeId = await createTestVolume({ ec2, size });
    const [result] = await runBackups(
      "EBS",
      { ...FAST_WAITS, resources: [volumeId], skipRetention: true },
      testDeps(aws.fixture.env),
    );
    await drainQueue(aws.fixture);
    return { volumeId, snapshotId: result!.metrics!.snapshotId! };
  }

  it("must restore the newest own snapshot into a tagged gp3 volume in the source's AZ, time it and delete it", async () => {
    const { volumeId } = await backedUp(8);
    // A second backup: the drill must take the newest.
    const { snapshotId: newest } = await (async () => {
      await new Promise((r) => setTimeout(r, 1100));
      const [again] = await runBackups(
        "EBS",
        { ...FAST_WAITS, resources: [volumeId], skipRetention: true },
        testDeps(aws.fixture.env),
      );
      await drainQueue(aws.fixture);
      return { snapshotId: again!.metrics!.snapshotId! };
    })();
    const client = new EC2Client({});
    const calls = recordCalls(client);
    const deps = drillDeps(aws.fixture.env, { ec2: client });
    const drill = await runDrill("EBS", { resources: [volumeId], waits: FAST_DRILL_WAITS }, deps);

    assert.equal(drill.status, "SUCCEEDED");
    assert.equal(drill.resources.length, 1);
    const [r] = drill.resources;
    assert.equal(r!.type, "EBS");
    assert.equal(r!.resource, volumeId);
    assert.equal(r!.snapshotId, newest);
    assert.equal(r!.status, "SUCCEEDED");
    assert.deepEqual(r!.findings, []);
    assert.match(r!.restoredId ?? "", /^vol-[0-9a-f]+$/);
    assert.equal(typeof r!.secondsToRestore, "number");
    assert.deepEqual(drill.verification, { dbVerified: false, securityCheck: true });

    // What moto holds for the scratch volume while it existed.
    const seen = calls
      .filter((c) => c.command === "DescribeVolumesCommand")
      .flatMap((c) => (c.output.Volumes as Volume[] | undefined) ?? [])
      .find((v) => v.VolumeId === r!.restoredId);
    assert.equal(seen?.VolumeType, "gp3");
    assert.equal(seen?.AvailabilityZone, "us-east-1a");
    assert.equal(seen?.SnapshotId, newest);
    assert.equal(seen?.Encrypted, true);
    assert.equal(seen?.Size, 8);
    const tags = tagMap(seen?.Tags);
    assert.equal(tags["drox-backup:drill"], drill.drillId);
    assert.equal(tags["drox-backup:source"], volumeId);
    assert.ok(Date.parse(tags["drox-backup:drill-deadline"] ?? "") > Date.parse(drill.startedAt));
    const deletes = calls.filter((c) => c.command === "DeleteVolumeCommand").map((c) => c.input.VolumeId);
    assert.deepEqual(deletes, [r!.restoredId]);

    // Nothing left behind; the source is untouched.
    assert.deepEqual(await drillVolumes(ec2), []);
    const source = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    assert.equal(source.Volumes?.length, 1);

    // Recorded and published.
    const recorded = await deps.drills.list(
      new Date(Date.parse(drill.startedAt) - 1000),
      new Date(Date.now() + 1000),
    );
    assert.deepEqual(recorded, [drill]);
    const messages = await drainQueue(aws.fixture);
    assert.equal(messages.length, 1);
    assert.deepEqual(JSON.parse(messages[0]!.Message) as Drill, drill);
    assert.equal(messages[0]!.MessageAttributes?.schema?.Value, "backup.drill.v1");
  });

  it("must fail a volume that has no drox-backup snapshot, naming it, without creating anything", async () => {
    const volumeId = await createTestVolume({ ec2 });
    const drill = await runDrill(
      "EBS",
      { resources: [volumeId], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env),
    );
    assert.equal(drill.status, "FAILED");
    assert.deepEqual(drill.resources[0]!.findings, [
      {
        severity: "CRITICAL",
        resource: volumeId,
        message: "no completed drox-backup snapshot of this volume to restore",
      },
    ]);
    assert.deepEqual(await drillVolumes(ec2), []);
  });

  it("must fail a restore whose volume ends in error, and still delete the volume", async () => {
    const { volumeId, snapshotId } = await backedUp();
    const client = new EC2Client({});
    rewriteOutput<{ Volumes?: Volume[] }>(client, "DescribeVolumesCommand", (out) => {
      for (const v of out.Volumes ?? []) if (tagMap(v.Tags)["drox-backup:drill"]) v.State = "error";
    });
    const drill = await runDrill(
      "EBS",
      { resources: [volumeId], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env, { ec2: client }),
    );
    const [r] = drill.resources;
    assert.equal(drill.status, "FAILED");
    assert.equal(r!.status, "FAILED");
    assert.equal(r!.secondsToRestore, undefined);
    assert.equal(r!.findings.length, 1);
    assert.match(
      r!.findings[0]!.message,
      new RegExp(`^volume from ${snapshotId} did not become available after \\d+ s: it ended error$`),
    );
    assert.deepEqual(await drillVolumes(ec2), []);
  });

  it("must cut a slow restore off at the drill's deadline and delete the volume", async () => {
    const { volumeId } = await backedUp();
    const client = new EC2Client({});
    rewriteOutput<{ Volumes?: Volume[] }>(client, "DescribeVolumesCommand", (out) => {
      for (const v of out.Volumes ?? []) if (tagMap(v.Tags)["drox-backup:drill"]) v.State = "creating";
    });
    const started = Date.now();
    const drill = await runDrill(
      "EBS",
      { resources: [volumeId], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env, { ec2: client }, { deadlineMinutes: 3 / 60 }),
    );
    const ms = Date.now() - started;
    assert.ok(ms >= 2_000 && ms < 20_000, `bounded by the 3 s deadline (${ms} ms)`);
    const [r] = drill.resources;
    assert.equal(r!.status, "FAILED");
    assert.match(
      r!.findings[0]!.message,
      /did not become available after \d+ s: the drill's deadline of 0\.05 min passed$/,
    );
    assert.deepEqual(await drillVolumes(ec2), []);
  });
});
