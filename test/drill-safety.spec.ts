import assert from "node:assert/strict";
import { CreateVolumeCommand, DescribeVolumesCommand, EC2Client, type Volume } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from "@aws-sdk/client-rds";
import type { Drill } from "../runtime/contract/events";
import { DrillBusyError, runDrill } from "../runtime/drills";
import { runBackups } from "../runtime/jobs";
import { drillDeps, FAST_DRILL_WAITS } from "./drill-fixtures";
import {
  createTestDbInstance,
  createTestVolume,
  drainQueue,
  FAST_WAITS,
  rewriteOutput,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

const DRILL_TAG = "drox-backup:drill";

async function drillVolumes(ec2: EC2Client): Promise<Volume[]> {
  const out = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: "tag-key", Values: [DRILL_TAG] }] }),
  );
  return out.Volumes ?? [];
}

async function instanceIds(rds: RDSClient): Promise<string[]> {
  const out = await rds.send(new DescribeDBInstancesCommand({}));
  return (out.DBInstances ?? []).map((db) => db.DBInstanceIdentifier ?? "").sort();
}

/** An EC2 client on which every drill volume stays `creating` (a restore that never finishes). */
function slowEc2(): EC2Client {
  const client = new EC2Client({});
  rewriteOutput<{ Volumes?: Volume[] }>(client, "DescribeVolumesCommand", (out) => {
    for (const v of out.Volumes ?? [])
      if (tagMap(v.Tags)[DRILL_TAG] && v.State === "available") v.State = "creating";
  });
  return client;
}

describe("Restore drill safety", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let ec2: EC2Client;
  let rds: RDSClient;

  beforeEach(() => {
    ec2 = new EC2Client({});
    rds = new RDSClient({});
  });

  async function backedUpVolume(): Promise<string> {
    const volumeId = await createTestVolume({ ec2 });
    await runBackups(
      "EBS",
      { ...FAST_WAITS, resources: [volumeId], skipRetention: true },
      testDeps(aws.fixture.env),
    );
    return volumeId;
  }

  it("must leave nothing behind when aborted half-way, and still record and publish the drill", async () => {
    const volumeId = await backedUpVolume();
    await createTestDbInstance("db-1", { rds });
    await runBackups(
      "RDS",
      { ...FAST_WAITS, resources: ["db-1"], skipRetention: true },
      testDeps(aws.fixture.env),
    );
    await drainQueue(aws.fixture);
    const slowRds = new RDSClient({});
    rewriteOutput<{ DBInstances?: DBInstance[] }>(slowRds, "DescribeDBInstancesCommand", (out) => {
      for (const db of out.DBInstances ?? [])
        if (db.DBInstanceIdentifier?.startsWith("drox-drill-") && db.DBInstanceStatus === "available")
          db.DBInstanceStatus = "creating";
    });
    const deps = drillDeps(aws.fixture.env, { ec2: slowEc2(), rds: slowRds });
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("drox-backup received SIGTERM")), 2_000);
    const started = Date.now();
    const drill = await runDrill(
      "ALL",
      { signal: abort.signal, waits: FAST_DRILL_WAITS },
      {
        ...deps,
        settings: { ...deps.settings, ebsVolumeIds: [volumeId], rdsInstanceIds: ["db-1"] },
      },
    );
    assert.ok(Date.now() - started < 15_000, "stops soon after the abort");
    assert.equal(drill.status, "FAILED");
    assert.deepEqual(
      drill.resources.map((r) => [r.type, r.resource, r.status]),
      [
        ["EBS", volumeId, "FAILED"],
        ["RDS", "db-1", "FAILED"],
      ],
    );
    for (const r of drill.resources) {
      assert.match(r.findings[0]!.message, /: the drill was aborted: drox-backup received SIGTERM$/);
    }
    assert.deepEqual(drill.findings, [
      {
        severity: "WARNING",
        resource: "drill",
        message: "aborted: drox-backup received SIGTERM; scratch resources were deleted",
      },
    ]);
    assert.deepEqual(await drillVolumes(ec2), []);
    assert.deepEqual(await instanceIds(rds), ["db-1"]);
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message) as Drill, drill);
  });

  it("must sweep leftovers of a crashed drill past their deadline on the next drill, report them, and touch nothing else", async () => {
    const volumeId = await backedUpVolume();
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const tagged = async (deadline: string, drillId: string) =>
      (
        await ec2.send(
          new CreateVolumeCommand({
            AvailabilityZone: "us-east-1a",
            Size: 1,
            TagSpecifications: [
              {
                ResourceType: "volume",
                Tags: [
                  { Key: DRILL_TAG, Value: drillId },
                  { Key: "drox-backup:drill-deadline", Value: deadline },
                ],
              },
            ],
          }),
        )
      ).VolumeId!;
    const leftover = await tagged(past, "01CRASHEDDRILL0000000000AA");
    const running = await tagged(future, "01RUNNINGDRILL0000000000BB");
    const unrelated = await createTestVolume({ ec2, tags: [{ Key: "team", Value: "db" }] });
    await createTestDbInstance("drox-drill-crashed000-1", {
      rds,
      tags: [
        { Key: DRILL_TAG, Value: "01CRASHEDDRILL0000000000AA" },
        { Key: "drox-backup:drill-deadline", Value: past },
      ],
    });
    // Named like a drill instance but not tagged as one: never deleted.
    await createTestDbInstance("drox-drill-lookalike-1", { rds });
    await createTestDbInstance("db-1", { rds });
    await runBackups(
      "RDS",
      { ...FAST_WAITS, resources: ["db-1"], skipRetention: true },
      testDeps(aws.fixture.env),
    );

    const deps = drillDeps(aws.fixture.env);
    const drill = await runDrill(
      "ALL",
      { waits: FAST_DRILL_WAITS },
      {
        ...deps,
        settings: { ...deps.settings, ebsVolumeIds: [volumeId], rdsInstanceIds: ["db-1"] },
      },
    );
    assert.equal(drill.status, "WARNING");
    assert.deepEqual(
      [...drill.findings].sort((a, b) => a.resource.localeCompare(b.resource)),
      [
        {
          severity: "WARNING",
          resource: "drox-drill-crashed000-1",
          message: "left behind by drill 01CRASHEDDRILL0000000000AA past its deadline; deleted now",
        },
        {
          severity: "WARNING",
          resource: leftover,
          message: "left behind by drill 01CRASHEDDRILL0000000000AA past its deadline; deleted now",
        },
      ].sort((a, b) => a.resource.localeCompare(b.resource)),
    );
    assert.deepEqual(
      (await drillVolumes(ec2)).map((v) => v.VolumeId),
      [running],
    );
    const all = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId, unrelated] }));
    assert.equal(all.Volumes?.length, 2);
    assert.deepEqual(await instanceIds(rds), ["db-1", "drox-drill-lookalike-1"]);
  });

  it("must refuse a second drill of a kind while one runs, with a clear message, and start nothing", async () => {
    const volumeId = await backedUpVolume();
    const first = runDrill(
      "EBS",
      { resources: [volumeId], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env, { ec2: slowEc2() }, { deadlineMinutes: 4 / 60 }),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const counting = new EC2Client({});
    let creates = 0;
    counting.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "CreateVolumeCommand") creates += 1;
        return next(args);
      },
      { step: "initialize", name: "count-creates" },
    );
    await assert.rejects(
      runDrill(
        "EBS",
        { resources: [volumeId], waits: FAST_DRILL_WAITS },
        drillDeps(aws.fixture.env, { ec2: counting }),
      ),
      (error: unknown) => {
        assert.ok(error instanceof DrillBusyError);
        assert.equal(error.statusCode, 409);
        assert.match(
          error.message,
          /^an EBS restore drill is already running \(drill [0-9A-Z]{26}, started .+, lease until .+\); this one was not started\./,
        );
        return true;
      },
    );
    assert.equal(creates, 0);
    const done = await first;
    assert.equal(done.resources[0]!.status, "FAILED");
    // The lock is given back: the next drill runs.
    const next = await runDrill(
      "EBS",
      { resources: [volumeId], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env),
    );
    assert.equal(next.status, "SUCCEEDED");
    assert.deepEqual(await drillVolumes(ec2), []);
  });
});
