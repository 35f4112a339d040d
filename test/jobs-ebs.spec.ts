import assert from "node:assert/strict";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { RDSClient } from "@aws-sdk/client-rds";
import { Writable } from "node:stream";
import type { BackupResult } from "../runtime/contract/events";
import { DeliveryError, runBackups } from "../runtime/jobs";
import { copyEbsSnapshot, copyRdsSnapshot } from "../runtime/jobs/dr-copy";
import { backupEbsVolumes } from "../runtime/jobs/ebs";
import { recordResult } from "../runtime/jobs/record";
import { GIB } from "../runtime/jobs/result";
import { createLogger } from "../runtime/logging/logger";
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

/** What a client was asked, answered with `output` (the DR region's EC2 or RDS, without moto). */
function recording<C>(output: unknown): { client: C; inputs: unknown[] } {
  const inputs: unknown[] = [];
  const client = {
    send: (command: { input: unknown }) => {
      inputs.push(command.input);
      return Promise.resolve(output);
    },
  } as unknown as C;
  return { client, inputs };
}

describe("DR copies as requested of EC2 and RDS", () => {
  const REQUEST = {
    sourceRegion: "us-east-1",
    targetRegion: "us-west-2",
    jobId: "01JC0000000000000000000050",
    source: "vol-1",
    retentionDays: 30,
  };
  const COPY_TAGS = (copyOf: string) => [
    { Key: "Name", Value: "drox-backup-vol-1" },
    { Key: "drox-backup:managed", Value: "true" },
    { Key: "ManagedBy", Value: "drox-backup" },
    { Key: "drox-backup:job-id", Value: "01JC0000000000000000000050" },
    { Key: "drox-backup:source", Value: "vol-1" },
    { Key: "drox-backup:retention-days", Value: "30" },
    { Key: "drox-backup:copy-of", Value: copyOf },
  ];

  it("must copy an EBS snapshot encrypted (with the DR key when there is one), described and tagged as ours", async () => {
    const ec2 = recording<EC2Client>({ SnapshotId: "snap-0dr" });
    assert.deepEqual(await copyEbsSnapshot(ec2.client, "snap-0src", REQUEST), {
      copySnapshotId: "snap-0dr",
      copyRegion: "us-west-2",
    });
    await copyEbsSnapshot(ec2.client, "snap-0src", { ...REQUEST, kmsKeyId: "alias/drox-dr" });
    const expected = {
      SourceRegion: "us-east-1",
      SourceSnapshotId: "snap-0src",
      Encrypted: true,
      Description: "drox-backup DR copy of snap-0src (vol-1)",
      TagSpecifications: [{ ResourceType: "snapshot", Tags: COPY_TAGS("us-east-1/snap-0src") }],
    };
    assert.deepEqual(ec2.inputs, [expected, { ...expected, KmsKeyId: "alias/drox-dr" }]);
  });

  it("must copy a DB snapshot with the DR key, or RDS's own key of the DR region, tagged as ours", async () => {
    const arn = "arn:aws:rds:us-east-1:123456789012:snapshot:drox-db-1-01jc";
    const rds = recording<RDSClient>({ DBSnapshot: { DBSnapshotIdentifier: "drox-db-1-01jc" } });
    assert.deepEqual(await copyRdsSnapshot(rds.client, arn, "drox-db-1-01jc", REQUEST), {
      copySnapshotId: "drox-db-1-01jc",
      copyRegion: "us-west-2",
    });
    await copyRdsSnapshot(rds.client, arn, "drox-db-1-01jc", { ...REQUEST, kmsKeyId: "alias/drox-dr" });
    const expected = {
      SourceDBSnapshotIdentifier: arn,
      TargetDBSnapshotIdentifier: "drox-db-1-01jc",
      KmsKeyId: "alias/aws/rds",
      Tags: COPY_TAGS(arn),
    };
    assert.deepEqual(rds.inputs, [expected, { ...expected, KmsKeyId: "alias/drox-dr" }]);
  });

  it("must fail a copy whose answer names no snapshot", async () => {
    await assert.rejects(
      copyEbsSnapshot(recording<EC2Client>({}).client, "snap-0src", REQUEST),
      /^Error: CopySnapshot returned no snapshot id$/,
    );
    await assert.rejects(
      copyRdsSnapshot(recording<RDSClient>({ DBSnapshot: {} }).client, "arn", "id", REQUEST),
      /^Error: CopyDBSnapshot returned no snapshot identifier$/,
    );
    await assert.rejects(
      copyRdsSnapshot(recording<RDSClient>({}).client, "arn", "id", REQUEST),
      /^Error: CopyDBSnapshot returned no snapshot identifier$/,
    );
  });
});

describe("recording and publishing a result", () => {
  const RESULT: BackupResult = {
    schema: "backup.result.v1",
    jobId: "01JC0000000000000000000060",
    type: "EBS",
    resource: "vol-1",
    status: "SUCCEEDED",
    startedAt: "2024-11-04T17:00:00.000Z",
    finishedAt: "2024-11-04T17:01:00.000Z",
    durationSeconds: 60,
  };

  it("must still publish when the history cannot record, and say what failed with the job id", async () => {
    const published: unknown[] = [];
    const deps = testDeps(
      {},
      {
        history: {
          put: () => Promise.reject(new Error("throttled")),
          get: () => Promise.resolve(undefined),
          list: () => Promise.resolve({ items: [] }),
        },
        publisher: { publish: (event) => (published.push(event), Promise.resolve("m-1")) },
      },
    );
    const failures: string[] = [];
    await recordResult(deps, RESULT, failures);
    assert.deepEqual(failures, ["history 01JC0000000000000000000060: throttled"]);
    assert.deepEqual(published, [RESULT]);
  });

  it("must raise what could not be delivered as one retryable error that keeps every result", () => {
    const error = new DeliveryError(
      "1 result(s) could not be recorded or published",
      [RESULT],
      ["history x: y"],
    );
    assert.equal(error.retryable, true);
    assert.deepEqual(error.results, [RESULT]);
    assert.deepEqual(error.failures, ["history x: y"]);
  });
});

/** An AWS SDK error as the client throws it: its name is the error code, with $metadata. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

interface StubEc2 {
  readonly client: EC2Client;
  readonly calls: { readonly command: string; readonly input: Record<string, unknown> }[];
}

/** EC2 answering by command name (the waiter polls DescribeSnapshots through the same send). */
function stubEc2(answers: Record<string, (input: Record<string, unknown>) => unknown>): StubEc2 {
  const calls: StubEc2["calls"] = [];
  const client = {
    config: { region: () => Promise.resolve("us-east-1") },
    send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      calls.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) return Promise.reject(new Error(`unexpected ${name}`));
      try {
        return Promise.resolve(answer(command.input));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  } as unknown as EC2Client;
  return { client, calls };
}

/** Snapshots `snap-<volume>` in `state`, as DescribeSnapshots lists them. */
const describing =
  (state: string, extra: Record<string, unknown> = {}) =>
  (input: Record<string, unknown>) => ({
    Snapshots: (input.SnapshotIds as string[]).map((id) => ({ SnapshotId: id, State: state, ...extra })),
  });

const creating = (input: Record<string, unknown>) => ({
  SnapshotId: `snap-${String(input.VolumeId)}`,
  VolumeSize: 8,
});

describe("EBS backup job against EC2's answers", () => {
  const ENV = {
    AWS_REGION: "us-east-1",
    JOB_TIMEOUT_SECONDS: "2",
    EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
    HISTORY_TABLE: "t",
  };
  const WAITS = { minDelaySeconds: 1, maxDelaySeconds: 1 };

  function deps(ec2: EC2Client, env: Record<string, string> = {}, drEc2?: EC2Client) {
    return testDeps({ ...ENV, ...env }, { ec2, ...(drEc2 ? { drEc2 } : {}) });
  }

  /** The JSON lines the job logged at warn level and above. */
  function loggingDeps(ec2: EC2Client): { deps: ReturnType<typeof deps>; lines: Record<string, unknown>[] } {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ destination, level: "warn" });
    return { deps: testDeps(ENV, { ec2, logger }), lines };
  }

  /**
   * Runs `fn` with every timer firing at once, and returns the delays asked for: the SDK's waiter
   * sleeps with setTimeout between polls (@smithy/core util-waiter), so these are its poll delays.
   * Mocha keeps its own reference to setTimeout, so its test timeout is unaffected.
   */
  async function withInstantTimers<T>(fn: () => Promise<T>): Promise<{ value: T; delays: number[] }> {
    const original = globalThis.setTimeout;
    const delays: number[] = [];
    globalThis.setTimeout = ((handler: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return original(handler, 0);
    }) as typeof setTimeout;
    try {
      return { value: await fn(), delays };
    } finally {
      globalThis.setTimeout = original;
    }
  }

  it("must snapshot with its description and tags, size the volume in GiB and wait in batches of 200", async () => {
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: describing("completed"),
    });
    const volumes = Array.from({ length: 201 }, (_, i) => `vol-${i}`);
    const results = await backupEbsVolumes(deps(ec2.client), volumes, WAITS);
    assert.equal(results.length, 201);
    assert.ok(results.every((r) => r.status === "SUCCEEDED" && r.metrics?.sizeBytes === 8 * GIB));
    assert.deepEqual(results[0]!.metrics, { snapshotId: "snap-vol-0", sizeBytes: 8 * GIB });
    const create = ec2.calls.find(
      (c) => c.command === "CreateSnapshotCommand" && c.input.VolumeId === "vol-0",
    )!;
    assert.equal(create.input.Description, `drox-backup ${results[0]!.jobId}`);
    assert.ok(results.every((r, i) => r.type === "EBS" && r.resource === `vol-${i}`));
    // Retention and the integrity check act only on snapshots tagged as ours (runtime/jobs/tags.ts).
    assert.deepEqual(create.input.TagSpecifications, [
      {
        ResourceType: "snapshot",
        Tags: [
          { Key: "Name", Value: "drox-backup-vol-0" },
          { Key: "drox-backup:managed", Value: "true" },
          { Key: "ManagedBy", Value: "drox-backup" },
          { Key: "drox-backup:job-id", Value: results[0]!.jobId },
          { Key: "drox-backup:source", Value: "vol-0" },
          { Key: "drox-backup:retention-days", Value: "7" },
        ],
      },
    ]);
    const describes = ec2.calls.filter((c) => c.command === "DescribeSnapshotsCommand");
    assert.ok(describes.every((c) => (c.input.SnapshotIds as string[]).length <= 200));
    const described = new Set(describes.flatMap((c) => c.input.SnapshotIds as string[]));
    assert.equal(described.size, 201);
    assert.ok(
      describes.some((c) => (c.input.SnapshotIds as string[]).length === 1),
      "the 201st in a batch of its own",
    );
  });

  it("must never describe an empty batch when the volumes fill whole batches of 200", async () => {
    // DescribeSnapshots without ids lists every snapshot the account may use, public ones included:
    // "If no options are specified, Amazon EC2 returns all snapshots for which you have create
    // volume permissions" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html).
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: describing("completed"),
    });
    const volumes = Array.from({ length: 200 }, (_, i) => `vol-${i}`);
    const results = await backupEbsVolumes(deps(ec2.client), volumes, WAITS);
    assert.ok(results.every((r) => r.status === "SUCCEEDED"));
    const snapshots = volumes.map((v) => `snap-${v}`);
    // One waiter poll (all completed at once), then one read of the final states.
    assert.deepEqual(
      ec2.calls.filter((c) => c.command === "DescribeSnapshotsCommand").map((c) => c.input),
      [{ SnapshotIds: snapshots }, { SnapshotIds: snapshots }],
    );
  });

  it("must not wait for the next batch of 200 once the run is aborted", async () => {
    const controller = new AbortController();
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: (input) => {
        controller.abort(new Error("SIGTERM"));
        return describing("completed")(input);
      },
    });
    const volumes = Array.from({ length: 201 }, (_, i) => `vol-${i}`);
    await backupEbsVolumes(deps(ec2.client), volumes, WAITS, controller.signal);
    // The first batch's waiter, then the final read of both batches: no waiter for the 201st.
    assert.deepEqual(
      ec2.calls
        .filter((c) => c.command === "DescribeSnapshotsCommand")
        .map((c) => (c.input.SnapshotIds as string[]).length),
      [200, 200, 1],
    );
  });

  it("must poll every 5 s at first, backing off to every 60 s, when no poll bounds are given", async () => {
    // EbsOptions documents the defaults (5 / 60 s). The SDK's waiter sleeps minDelay before its
    // second poll, then a random delay between minDelay and minDelay × 2^(attempt - 1), and maxDelay
    // once that passes maxDelay: https://smithy.io/2.0/additional-specs/waiters.html#waiter-retries
    let polls = 0;
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: (input) => describing(++polls <= 6 ? "pending" : "completed")(input),
    });
    const { value, delays } = await withInstantTimers(() =>
      backupEbsVolumes(testDeps({ ...ENV, JOB_TIMEOUT_SECONDS: "3600" }, { ec2: ec2.client }), ["vol-1"]),
    );
    assert.equal(value[0]!.status, "SUCCEEDED");
    assert.equal(polls, 8, "7 waiter polls, then the final read");
    assert.equal(delays.length, 6);
    assert.equal(delays[0], 5_000);
    for (const [i, ceiling] of [10_000, 20_000, 40_000].entries()) {
      const delay = delays[i + 1]!;
      assert.ok(delay >= 5_000 && delay <= ceiling, `poll ${i + 3} after ${delay} ms`);
    }
    assert.deepEqual(delays.slice(4), [60_000, 60_000]);
  });

  it("must fail a malformed or missing volume by name, and pass on other errors with their code", async () => {
    const errors: Record<string, Error> = {
      "vol-bad": awsError("InvalidVolumeID.Malformed", "Invalid id: vol-bad"),
      "vol-gone": awsError("InvalidVolume.NotFound", "The volume 'vol-gone' does not exist."),
      "vol-limit": awsError("SnapshotLimitExceeded", "The maximum number of snapshots has been reached."),
      "vol-net": new Error("  "),
    };
    const ec2 = stubEc2({
      CreateSnapshotCommand: (input) => {
        throw errors[String(input.VolumeId)]!;
      },
    });
    const results = await backupEbsVolumes(deps(ec2.client), Object.keys(errors), WAITS);
    assert.deepEqual(
      results.map((r) => [r.status, r.error]),
      [
        ["FAILED", { message: "Volume not found: vol-bad", code: "InvalidVolumeID.Malformed" }],
        ["FAILED", { message: "Volume not found: vol-gone", code: "InvalidVolume.NotFound" }],
        [
          "FAILED",
          { message: "The maximum number of snapshots has been reached.", code: "SnapshotLimitExceeded" },
        ],
        ["FAILED", { message: "unknown error" }],
      ],
    );
    assert.equal(
      ec2.calls.filter((c) => c.command === "DescribeSnapshotsCommand").length,
      0,
      "nothing to wait for",
    );
  });

  it("must fail a snapshot CreateSnapshot did not name, and one EC2 no longer lists", async () => {
    const ec2 = stubEc2({
      CreateSnapshotCommand: (input) => (input.VolumeId === "vol-noid" ? {} : creating(input)),
      DescribeSnapshotsCommand: () => ({ Snapshots: [] }),
    });
    const [noId, unlisted] = await backupEbsVolumes(deps(ec2.client), ["vol-noid", "vol-1"], WAITS);
    assert.equal(noId!.type, "EBS");
    assert.equal(noId!.status, "FAILED");
    assert.deepEqual(noId!.error, { message: "CreateSnapshot returned no snapshot id" });
    assert.equal(noId!.metrics, undefined);
    assert.equal(unlisted!.status, "FAILED");
    assert.deepEqual(unlisted!.error, {
      message: "Snapshot snap-vol-1 not completed within 2 s (state unknown)",
      code: "SnapshotTimeout",
    });
    assert.deepEqual(unlisted!.metrics, { snapshotId: "snap-vol-1", sizeBytes: 8 * GIB });
  });

  it("must leave out the size when EC2 does not give the volume's, and say when a snapshot failed without a reason", async () => {
    const ec2 = stubEc2({
      CreateSnapshotCommand: (input) => ({ SnapshotId: `snap-${String(input.VolumeId)}` }),
      DescribeSnapshotsCommand: describing("error"),
    });
    const [result] = await backupEbsVolumes(deps(ec2.client), ["vol-1"], WAITS);
    assert.deepEqual(result!.metrics, { snapshotId: "snap-vol-1" });
    assert.deepEqual(result!.error, {
      message: "Snapshot snap-vol-1 failed: no reason given",
      code: "SnapshotFailed",
    });
  });

  it("must copy to the DR region and keep the copy's id; a failed copy is a WARNING with its code or CopyFailed", async () => {
    const ec2 = () =>
      stubEc2({ CreateSnapshotCommand: creating, DescribeSnapshotsCommand: describing("completed") });
    const dr = stubEc2({
      CopySnapshotCommand: (input) => ({ SnapshotId: `${String(input.SourceSnapshotId)}-dr` }),
    });
    const [copied] = await backupEbsVolumes(
      deps(ec2().client, { DR_REGION: "us-west-2" }, dr.client),
      ["vol-1"],
      WAITS,
    );
    assert.equal(copied!.status, "SUCCEEDED");
    assert.deepEqual(copied!.metrics, {
      snapshotId: "snap-vol-1",
      sizeBytes: 8 * GIB,
      copySnapshotId: "snap-vol-1-dr",
      copyRegion: "us-west-2",
    });
    assert.equal(dr.calls[0]!.input.SourceRegion, "us-east-1");
    for (const [error, code] of [
      [awsError("InvalidParameterValue", "KMS key is disabled"), "InvalidParameterValue"],
      [new Error("socket hang up"), "CopyFailed"],
    ] as const) {
      const failing = stubEc2({
        CopySnapshotCommand: () => {
          throw error;
        },
      });
      const [result] = await backupEbsVolumes(
        deps(ec2().client, { DR_REGION: "us-west-2" }, failing.client),
        ["vol-1"],
        WAITS,
      );
      assert.equal(result!.type, "EBS");
      assert.equal(result!.status, "WARNING");
      assert.deepEqual(result!.metrics, { snapshotId: "snap-vol-1", sizeBytes: 8 * GIB });
      assert.deepEqual(result!.error, {
        message: `Cross-region copy to us-west-2 failed: ${error.message}`,
        code,
      });
    }
  });

  it("must not start a DR copy once the run is aborted, and say so on the completed snapshot", async () => {
    const controller = new AbortController();
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: (input) => {
        controller.abort(new Error("SIGTERM"));
        return describing("completed")(input);
      },
    });
    const dr = stubEc2({});
    const [result] = await backupEbsVolumes(
      deps(ec2.client, { DR_REGION: "us-west-2" }, dr.client),
      ["vol-1"],
      WAITS,
      controller.signal,
    );
    assert.equal(result!.type, "EBS");
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.error, {
      message: "Cross-region copy to us-west-2 not started, the run was aborted: SIGTERM",
      code: "Aborted",
    });
    assert.deepEqual(dr.calls, []);
  });

  it("must copy nothing without DR_REGION, even with a DR client at hand", async () => {
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: describing("completed"),
    });
    const dr = stubEc2({ CopySnapshotCommand: () => ({ SnapshotId: "snap-dr" }) });
    const [result] = await backupEbsVolumes(deps(ec2.client, {}, dr.client), ["vol-1"], WAITS);
    assert.equal(result!.status, "SUCCEEDED");
    assert.deepEqual(result!.metrics, { snapshotId: "snap-vol-1", sizeBytes: 8 * GIB });
    assert.deepEqual(dr.calls, []);
  });

  it("must wait for a pending snapshot until JOB_TIMEOUT_SECONDS, then call it pending, not failed", async () => {
    const ec2 = stubEc2({ CreateSnapshotCommand: creating, DescribeSnapshotsCommand: describing("pending") });
    const logged = loggingDeps(ec2.client);
    const started = Date.now();
    const [result] = await backupEbsVolumes(logged.deps, ["vol-1"], WAITS);
    const ms = Date.now() - started;
    assert.ok(ms >= 1_000 && ms < 10_000, `waited ${ms} ms for a 2 s timeout`);
    assert.ok(ec2.calls.filter((c) => c.command === "DescribeSnapshotsCommand").length >= 2, "polled again");
    assert.equal(result!.type, "EBS");
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.metrics, { snapshotId: "snap-vol-1", sizeBytes: 8 * GIB });
    assert.deepEqual(result!.error, {
      message:
        "Snapshot snap-vol-1 still pending after 2 s; it was created and usually completes later. " +
        "The integrity check will follow it up and report it if it is not done within 24 h.",
      code: "SnapshotPending",
    });
    // Why the wait ended is logged: the SDK's TimeoutError, whose message is the waiter's result.
    assert.deepEqual(
      logged.lines.map((l) => [l.level, l.msg]),
      [[40, "snapshot waiter ended without success"]],
    );
    assert.match(String(logged.lines[0]!.err), /"state":"TIMEOUT"/);
  });

  it("must start nothing once aborted, and end a snapshot still pending as Aborted while a failed one stays failed", async () => {
    const before = new AbortController();
    before.abort(new Error("shutting down"));
    const idle = stubEc2({});
    const [notStarted] = await backupEbsVolumes(deps(idle.client), ["vol-1"], WAITS, before.signal);
    assert.equal(notStarted!.type, "EBS");
    assert.deepEqual(notStarted!.error, {
      message: "Backup aborted before its snapshot was started: shutting down",
      code: "Aborted",
    });
    assert.deepEqual(idle.calls, []);
    const cases = [
      [
        "pending",
        {
          message: "Backup aborted before snapshot snap-vol-1 completed (state pending): SIGTERM",
          code: "Aborted",
        },
      ],
      ["error", { message: "Snapshot snap-vol-1 failed: no reason given", code: "SnapshotFailed" }],
    ] as const;
    for (const [state, expected] of cases) {
      const during = new AbortController();
      const ec2 = stubEc2({
        CreateSnapshotCommand: creating,
        DescribeSnapshotsCommand: (input) => {
          during.abort("SIGTERM");
          return describing(state)(input);
        },
      });
      const [result] = await backupEbsVolumes(deps(ec2.client), ["vol-1"], WAITS, during.signal);
      assert.equal(result!.status, "FAILED");
      assert.equal(result!.type, "EBS");
      assert.deepEqual(result!.metrics, { snapshotId: "snap-vol-1", sizeBytes: 8 * GIB });
      assert.deepEqual(result!.error, expected);
    }
  });

  it("must end a snapshot EC2 does not list yet as Aborted in state unknown when the run is aborted", async () => {
    // DescribeSnapshots is eventually consistent: a snapshot just created may not be listed yet.
    const controller = new AbortController();
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: () => {
        controller.abort("SIGTERM");
        return { Snapshots: [] };
      },
    });
    const [result] = await backupEbsVolumes(deps(ec2.client), ["vol-1"], WAITS, controller.signal);
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.metrics, { snapshotId: "snap-vol-1", sizeBytes: 8 * GIB });
    assert.deepEqual(result!.error, {
      message: "Backup aborted before snapshot snap-vol-1 completed (state unknown): SIGTERM",
      code: "Aborted",
    });
  });

  it("must copy from the configured region, or the client's own when none is configured", async () => {
    const ec2 = () => {
      const stub = stubEc2({
        CreateSnapshotCommand: creating,
        DescribeSnapshotsCommand: describing("completed"),
      });
      (stub.client as unknown as { config: unknown }).config = {
        region: () => Promise.resolve("eu-central-1"),
      };
      return stub;
    };
    const dr = stubEc2({ CopySnapshotCommand: () => ({ SnapshotId: "snap-dr" }) });
    await backupEbsVolumes(deps(ec2().client, { DR_REGION: "us-west-2" }, dr.client), ["vol-1"], WAITS);
    const noRegion = { DR_REGION: "us-west-2", AWS_REGION: "", AWS_DEFAULT_REGION: "" };
    const [result] = await backupEbsVolumes(deps(ec2().client, noRegion, dr.client), ["vol-1"], WAITS);
    assert.equal(result!.type, "EBS");
    assert.deepEqual(
      dr.calls.map((c) => c.input.SourceRegion),
      ["us-east-1", "eu-central-1"],
    );
  });

  it("must use the job id the run allocated for a volume", async () => {
    const ec2 = stubEc2({
      CreateSnapshotCommand: creating,
      DescribeSnapshotsCommand: describing("completed"),
    });
    const [result] = await backupEbsVolumes(deps(ec2.client), ["vol-1"], WAITS, undefined, (v) => `run-${v}`);
    assert.equal(result!.jobId, "run-vol-1");
  });
});
