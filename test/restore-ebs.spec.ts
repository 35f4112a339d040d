/**
 * `restore ebs` against moto: a new volume from a given snapshot and from `latest`, encrypted as the
 * snapshot, in the source volume's zone, tagged, recorded in the history and published; refusals
 * (not found, in progress, not drox-backup's) create nothing and announce nothing.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
  type DescribeVolumesCommandOutput,
} from "@aws-sdk/client-ec2";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { RestoreEvent } from "../runtime/contract/events";
import { snapshotTags } from "../runtime/jobs/tags";
import { createRestoreDeps, restoreEbs, RestoreRefused, type RestoreDeps } from "../runtime/restore";
import { createTestVolume, drainQueue, rewriteOutput, tagMap, TABLE, useJobsAws } from "./jobs-fixtures";

const ROOT = resolve(__dirname, "..");
const GIB = 1024 ** 3;
const FAST = { timeoutSeconds: 30, minDelaySeconds: 1, maxDelaySeconds: 1 } as const;

async function snapshot(ec2: EC2Client, volumeId: string, managed = true): Promise<string> {
  const out = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      ...(managed
        ? {
            TagSpecifications: [
              {
                ResourceType: "snapshot",
                Tags: snapshotTags({
                  jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S",
                  source: volumeId,
                  retentionDays: 7,
                }),
              },
            ],
          }
        : {}),
    }),
  );
  return out.SnapshotId!;
}

function deps(env: Record<string, string>, overrides: Partial<RestoreDeps> = {}): RestoreDeps {
  return createRestoreDeps({}, { requestedBy: "alice", ...overrides }, { ...process.env, ...env });
}

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", resolve(ROOT, "runtime/cli.ts"), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", USER: "bob", ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe("restore ebs", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let ec2: EC2Client;

  beforeEach(() => {
    ec2 = new EC2Client({});
  });

  it("must create an available volume from the given snapshot, encrypted as it, and record and publish it", async () => {
    const source = await createTestVolume({ ec2, size: 20, encrypted: true });
    const snapshotId = await snapshot(ec2, source);
    const result = await restoreEbs(deps(aws.fixture.env), {
      snapshot: snapshotId,
      tags: [{ Key: "Ticket", Value: "OPS-42" }],
      ...FAST,
    });

    const volumeId = result.volumeId!;
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const volume = Volumes![0]!;
    assert.equal(volume.SnapshotId, snapshotId);
    assert.equal(volume.State, "available");
    assert.equal(volume.Encrypted, true);
    assert.equal(volume.Size, 20);
    assert.equal(volume.VolumeType, "gp3");
    // The source volume still exists, so the copy lands next to it.
    assert.equal(volume.AvailabilityZone, "us-east-1a");
    assert.equal(volume.Attachments?.length ?? 0, 0, "a restored volume is never attached");
    assert.deepEqual(tagMap(volume.Tags), {
      Name: `drox-backup-restore-${source}`,
      "drox-backup:restored-from": snapshotId,
      "drox-backup:restore-id": result.event.restoreId,
      "drox-backup:restored-by": "alice",
      Ticket: "OPS-42",
    });

    const event = result.event;
    assert.deepEqual(
      { ...event, restoreId: "", startedAt: "", finishedAt: "", durationSeconds: 0 },
      {
        schema: "backup.restore.v1",
        restoreId: "",
        type: "EBS",
        resource: source,
        from: snapshotId,
        target: volumeId,
        requestedBy: "alice",
        status: "SUCCEEDED",
        startedAt: "",
        finishedAt: "",
        durationSeconds: 0,
        metrics: { sizeBytes: 20 * GIB },
      },
    );
    const item = await new DynamoDBClient({}).send(
      new GetItemCommand({ TableName: TABLE, Key: { jobId: { S: event.restoreId } } }),
    );
    assert.equal(item.Item?.kind?.S, "restore");
    assert.deepEqual(JSON.parse(item.Item!.record!.S!), event);
    // Restores stay out of the time index the backup history and the weekly report read.
    assert.equal(item.Item?.monthKey, undefined);
    const published = await drainQueue(aws.fixture);
    assert.equal(published.length, 1);
    assert.deepEqual(JSON.parse(published[0]!.Message) as RestoreEvent, event);
    assert.equal(published[0]!.MessageAttributes?.schema?.Value, "backup.restore.v1");
  });

  it("must restore the newest completed drox-backup snapshot of the volume for latest", async () => {
    const source = await createTestVolume({ ec2, size: 8 });
    const older = await snapshot(ec2, source);
    const newer = await snapshot(ec2, source);
    const pending = await snapshot(ec2, source);
    const foreign = await snapshot(ec2, source, false);
    const other = await snapshot(ec2, await createTestVolume({ ec2, size: 8 }));
    const times: Record<string, string> = {
      [older]: "2024-11-01T02:00:00Z",
      [newer]: "2024-11-03T02:00:00Z",
      [pending]: "2024-11-04T02:00:00Z",
      [foreign]: "2024-11-05T02:00:00Z",
      [other]: "2024-11-06T02:00:00Z",
    };
    const client = new EC2Client({});
    rewriteOutput<DescribeSnapshotsCommandOutput>(client, "DescribeSnapshotsCommand", (out) => {
      for (const s of out.Snapshots ?? []) {
        s.StartTime = new Date(times[s.SnapshotId!] ?? "2024-10-01T00:00:00Z");
        if (s.SnapshotId === pending) s.State = "pending";
      }
    });
    const result = await restoreEbs(deps(aws.fixture.env, { ec2: client }), {
      snapshot: "latest",
      volume: source,
      ...FAST,
    });
    assert.equal(result.event.from, newer);
    assert.equal(result.event.status, "SUCCEEDED");
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [result.volumeId!] }));
    assert.equal(Volumes![0]!.SnapshotId, newer);
  });

  it("must refuse a missing, an in-progress and a foreign snapshot, creating and announcing nothing", async () => {
    const source = await createTestVolume({ ec2, size: 8 });
    const foreign = await snapshot(ec2, source, false);
    const busy = await snapshot(ec2, source);
    const client = new EC2Client({});
    rewriteOutput<DescribeSnapshotsCommandOutput>(client, "DescribeSnapshotsCommand", (out) => {
      for (const s of out.Snapshots ?? [])
        if (s.SnapshotId === busy) Object.assign(s, { State: "pending", Progress: "40%" });
    });
    const d = deps(aws.fixture.env, { ec2: client });
    const refusal = async (request: Parameters<typeof restoreEbs>[1]) =>
      restoreEbs(d, request).then(
        () => assert.fail("must be refused"),
        (error: unknown) => {
          assert.ok(error instanceof RestoreRefused, String(error));
          return [error.code, error.message];
        },
      );
    assert.deepEqual(await refusal({ snapshot: "snap-0123456789abcdef0", ...FAST }), [
      "SnapshotNotFound",
      "Snapshot snap-0123456789abcdef0 not found",
    ]);
    assert.deepEqual(await refusal({ snapshot: busy, ...FAST }), [
      "SnapshotInProgress",
      `Snapshot ${busy} is still in progress (40%): try again when it has completed`,
    ]);
    assert.deepEqual(await refusal({ snapshot: foreign, ...FAST }), [
      "SnapshotNotManaged",
      `Snapshot ${foreign} was not made by drox-backup (no drox-backup:managed=true tag): pass --force to restore it anyway`,
    ]);
    assert.deepEqual(await refusal({ snapshot: "latest", volume: "vol-0aaaaaaaaaaaaaaaa", ...FAST }), [
      "SnapshotNotFound",
      "No completed drox-backup snapshot of volume vol-0aaaaaaaaaaaaaaaa: check the volume id, or use --region for the DR copies",
    ]);
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({}));
    assert.deepEqual(
      Volumes!.map((v) => v.VolumeId),
      [source],
    );
    assert.deepEqual(await drainQueue(aws.fixture), []);

    const forced = await restoreEbs(d, { snapshot: foreign, force: true, ...FAST });
    assert.equal(forced.event.status, "SUCCEEDED");
  });

  it("must stop waiting at the deadline and report a volume still being created as WARNING RestorePending", async () => {
    const source = await createTestVolume({ ec2, size: 8 });
    const snapshotId = await snapshot(ec2, source);
    const client = new EC2Client({});
    rewriteOutput<DescribeVolumesCommandOutput>(client, "DescribeVolumesCommand", (out) => {
      for (const v of out.Volumes ?? []) if (v.SnapshotId === snapshotId) v.State = "creating";
    });
    const started = Date.now();
    const result = await restoreEbs(deps(aws.fixture.env, { ec2: client }), {
      snapshot: snapshotId,
      timeoutSeconds: 2,
      minDelaySeconds: 1,
      maxDelaySeconds: 1,
    });
    assert.ok(Date.now() - started < 10_000, "the wait is bounded by the timeout");
    assert.equal(result.event.status, "WARNING");
    assert.deepEqual(result.event.error, {
      message: `Volume ${result.volumeId} is still being created after 2 s; it becomes available on its own (aws ec2 describe-volumes --volume-ids ${result.volumeId})`,
      code: "RestorePending",
    });
    assert.equal(result.event.target, result.volumeId);
  });

  it("must restore from the DR copies with --region", async () => {
    const dr = new EC2Client({ region: "us-west-2" });
    const source = await createTestVolume({ ec2, size: 8 });
    const primary = await snapshot(ec2, source);
    const copy = await dr.send(
      new CopySnapshotCommand({
        SourceRegion: "us-east-1",
        SourceSnapshotId: primary,
        TagSpecifications: [
          {
            ResourceType: "snapshot",
            Tags: snapshotTags({
              jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S",
              source,
              retentionDays: 7,
              copyOf: `us-east-1/${primary}`,
            }),
          },
        ],
      }),
    );
    const d = createRestoreDeps(
      { region: "us-west-2" },
      { requestedBy: "alice" },
      { ...process.env, ...aws.fixture.env },
    );
    const result = await restoreEbs(d, { snapshot: "latest", volume: source, ...FAST });
    assert.equal(result.event.from, copy.SnapshotId);
    assert.equal(result.event.region, "us-west-2");
    assert.match(result.availabilityZone, /^us-west-2[a-z]$/);
    const { Volumes } = await dr.send(new DescribeVolumesCommand({ VolumeIds: [result.volumeId!] }));
    assert.equal(Volumes![0]!.SnapshotId, copy.SnapshotId);
    assert.equal(
      (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [primary] }))).Snapshots?.length,
      1,
    );
  });

  it("must print the new volume and exit 0, and exit 2 naming the problem when refused", async () => {
    const source = await createTestVolume({ ec2, size: 8 });
    await snapshot(ec2, source);
    const ok = await cli(["restore", "ebs", "--snapshot", "latest", "--volume", source], aws.fixture.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /^SUCCEEDED\s+EBS\s+vol-[0-9a-f]+\s+from snap-[0-9a-f]+\s+\d+초\s+restore [0-9A-Z]{26}$/m,
    );
    const [message] = await drainQueue(aws.fixture);
    // the login name and the AWS identity from STS (moto answers its own test user)
    assert.match(
      (JSON.parse(message!.Message) as RestoreEvent).requestedBy,
      /^bob \(arn:aws:(sts|iam)::\d{12}:[^)]+\)$/,
    );

    const refused = await cli(["restore", "ebs", "--snapshot", "snap-0123456789abcdef0"], aws.fixture.env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^error: Snapshot snap-0123456789abcdef0 not found$/m);
    assert.equal(refused.stdout, "");
  });
});
