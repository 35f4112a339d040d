import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
} from "@aws-sdk/client-ec2";
import {
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DescribeDBSnapshotsCommandOutput,
} from "@aws-sdk/client-rds";
import type { InitializeHandlerOptions, InitializeMiddleware, MetadataBearer } from "@smithy/types";
import { Writable } from "node:stream";
import { createLogger } from "../runtime/logging/logger";
import { applyRetention, runBackups } from "../runtime/jobs";
import {
  createKmsKey,
  createTestDbInstance,
  createTestVolume,
  DR_REGION,
  FAST_WAITS,
  rewriteOutput,
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

interface Stackable {
  readonly middlewareStack: {
    add(middleware: InitializeMiddleware<object, MetadataBearer>, options: InitializeHandlerOptions): void;
  };
}

/**
 * Makes `client` drop request fields before they reach the endpoint: an endpoint (or a future API
 * change) that ignores the server-side filter then hands the code every snapshot of the account.
 */
function ignoreRequestFields(client: Stackable, commandName: string, fields: readonly string[]): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === commandName) {
        const input = Object.fromEntries(
          Object.entries(args.input as Record<string, unknown>).filter(([key]) => !fields.includes(key)),
        );
        return next({ ...args, input });
      }
      return next(args);
    },
    { step: "initialize", name: `ignore-${commandName}-fields` },
  );
}

/** Makes one command of `client` fail (all of them when `only` is omitted) with `message`. */
function failing<T extends Stackable>(client: T, message: string, only?: (input: object) => boolean): T {
  client.middlewareStack.add(
    (next) => async (args) => {
      if (!only || only(args.input)) throw new Error(message);
      return next(args);
    },
    { step: "initialize", name: `fail-${message}` },
  );
  return client;
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

  it("must never delete a snapshot that is not its own when the endpoint ignores the server-side filters", async () => {
    const env = { ...aws.fixture.env, RETENTION_DAYS: "7" };
    const volume = process.env.DROX_TEST_VOLUME!;
    const results = await runBackups(
      "ALL",
      FAST,
      testDeps({ ...env, EBS_VOLUME_IDS: volume, RDS_INSTANCE_IDS: "db-prod-1" }),
    );
    const own = results.map((r) => r.metrics!.snapshotId!).sort();

    // Neither the tag filter nor the owner, nor "manual only" reaches moto: every snapshot comes back.
    const unfilteredEc2 = new EC2Client({});
    ignoreRequestFields(unfilteredEc2, "DescribeSnapshotsCommand", ["Filters", "OwnerIds"]);
    const unfilteredRds = new RDSClient({});
    ignoreRequestFields(unfilteredRds, "DescribeDBSnapshotsCommand", ["SnapshotType"]);
    const seen: string[] = [];
    rewriteOutput<DescribeSnapshotsCommandOutput>(unfilteredEc2, "DescribeSnapshotsCommand", (out) => {
      seen.push(...(out.Snapshots ?? []).map((snapshot) => snapshot.SnapshotId!));
    });
    rewriteOutput<DescribeDBSnapshotsCommandOutput>(unfilteredRds, "DescribeDBSnapshotsCommand", (out) => {
      seen.push(...(out.DBSnapshots ?? []).map((snapshot) => snapshot.DBSnapshotIdentifier!));
    });

    const report = await applyRetention(
      testDeps(env, { ec2: unfilteredEc2, rds: unfilteredRds, now: () => new Date(Date.now() + 8 * DAY) }),
      ["EBS", "RDS"],
    );
    for (const foreign of [...foreignSnapshots, ...foreignDbSnapshots]) {
      assert.ok(seen.includes(foreign), `the retention code was handed ${foreign}`);
    }
    assert.deepEqual(report.deleted.sort(), own);
    assert.deepEqual(report.failed, []);
    assert.deepEqual(await snapshotIds(ec2), [...foreignSnapshots].sort());
    assert.deepEqual(await dbSnapshotIds(rds), foreignDbSnapshots);
  });

  it("must keep a snapshot exactly RETENTION_DAYS old and delete it once older", async () => {
    const env = { ...aws.fixture.env, RETENTION_DAYS: "7" };
    const volume = process.env.DROX_TEST_VOLUME!;
    const results = await runBackups(
      "ALL",
      FAST,
      testDeps({ ...env, EBS_VOLUME_IDS: volume, RDS_INSTANCE_IDS: "db-prod-1" }),
    );
    const [ebs, db] = [results[0]!.metrics!.snapshotId!, results[1]!.metrics!.snapshotId!];
    const ebsStart = (
      await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [ebs] }))
    ).Snapshots![0]!.StartTime!.getTime();
    const dbStart = (
      await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: db }))
    ).DBSnapshots![0]!.SnapshotCreateTime!.getTime();

    const at = (ms: number) => testDeps(env, { now: () => new Date(ms) });
    assert.deepEqual((await applyRetention(at(ebsStart + 7 * DAY), ["EBS"])).deleted, []);
    assert.deepEqual((await applyRetention(at(dbStart + 7 * DAY), ["RDS"])).deleted, []);
    assert.deepEqual((await applyRetention(at(ebsStart + 7 * DAY + 1), ["EBS"])).deleted, [ebs]);
    assert.deepEqual((await applyRetention(at(dbStart + 7 * DAY + 1), ["RDS"])).deleted, [db]);
  });

  it("must expire only the kinds it is given", async () => {
    const env = { ...aws.fixture.env, RETENTION_DAYS: "7" };
    const volume = process.env.DROX_TEST_VOLUME!;
    const results = await runBackups(
      "ALL",
      FAST,
      testDeps({ ...env, EBS_VOLUME_IDS: volume, RDS_INSTANCE_IDS: "db-prod-1" }),
    );
    const later = testDeps(env, { now: () => new Date(Date.now() + 8 * DAY) });
    assert.deepEqual((await applyRetention(later, [])).deleted, []);
    assert.deepEqual((await applyRetention(later, ["EBS"])).deleted, [results[0]!.metrics!.snapshotId!]);
    assert.deepEqual((await applyRetention(later, ["RDS"])).deleted, [results[1]!.metrics!.snapshotId!]);
  });

  it("must report a snapshot it could not delete, and a region it could not list, and go on", async () => {
    const env = { ...aws.fixture.env, RETENTION_DAYS: "7" };
    const volume = process.env.DROX_TEST_VOLUME!;
    const results = await runBackups(
      "ALL",
      FAST,
      testDeps({ ...env, EBS_VOLUME_IDS: volume, RDS_INSTANCE_IDS: "db-prod-1" }),
    );
    const [ebs, db] = [results[0]!.metrics!.snapshotId!, results[1]!.metrics!.snapshotId!];
    const later = { now: () => new Date(Date.now() + 8 * DAY) };
    const deleting = (input: object): boolean => "SnapshotId" in input || "DBSnapshotIdentifier" in input;

    const first = await applyRetention(
      testDeps(env, {
        ...later,
        ec2: failing(new EC2Client({}), "EC2 throttled"),
        rds: failing(new RDSClient({}), "snapshot is being copied", deleting),
        drEc2: failing(new EC2Client({ region: DR_REGION }), "DR EC2 unreachable"),
        drRds: failing(new RDSClient({ region: DR_REGION }), "DR RDS unreachable"),
      }),
      ["EBS", "RDS"],
    );
    assert.deepEqual(first, {
      deleted: [],
      failed: [
        { id: "EBS", message: "EC2 throttled" },
        { id: "EBS (DR)", message: "DR EC2 unreachable" },
        { id: db, message: "snapshot is being copied" },
        { id: "RDS (DR)", message: "DR RDS unreachable" },
      ],
    });

    const second = await applyRetention(
      testDeps(env, {
        ...later,
        ec2: failing(new EC2Client({}), "snapshot in use by ami-1", deleting),
        rds: failing(new RDSClient({}), "RDS throttled"),
      }),
      ["EBS", "RDS"],
    );
    assert.deepEqual(second, {
      deleted: [],
      failed: [
        { id: ebs, message: "snapshot in use by ami-1" },
        { id: "RDS", message: "RDS throttled" },
      ],
    });

    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      destination: new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const third = await applyRetention(testDeps(env, { ...later, logger }), ["EBS", "RDS"]);
    assert.deepEqual(third, { deleted: [ebs, db], failed: [] });
    // The log is the only trace of a retention run (no event is published): what and how many.
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      logged.map(({ msg, deleted, failed }) => ({ msg, deleted, failed })),
      [{ msg: "retention applied", deleted: 2, failed: [] }],
    );
    assert.deepEqual(await snapshotIds(ec2), [...foreignSnapshots].sort());
    assert.deepEqual(await dbSnapshotIds(rds), foreignDbSnapshots);
  });

  it("must ask AWS for its own manual snapshots only, so it never pages through public or automated ones", async () => {
    // Without OwnerIds EC2 lists every public snapshot too, and without SnapshotType RDS adds the
    // automated ones, which DeleteDBSnapshot refuses:
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
    // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html
    const asked: Record<string, unknown>[] = [];
    const record = (client: Stackable): void =>
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName?.startsWith("Describe")) {
            // The paginators add their cursor fields, undefined on the first page.
            const sent = Object.entries(args.input as Record<string, unknown>).filter(
              ([, v]) => v !== undefined,
            );
            asked.push({ command: context.commandName, ...Object.fromEntries(sent) });
          }
          return next(args);
        },
        { step: "initialize", name: "record-describe" },
      );
    const [ec2Asked, rdsAsked] = [new EC2Client({}), new RDSClient({})];
    record(ec2Asked);
    record(rdsAsked);
    await applyRetention(testDeps(aws.fixture.env, { ec2: ec2Asked, rds: rdsAsked }), ["EBS", "RDS"]);
    assert.deepEqual(asked, [
      {
        command: "DescribeSnapshotsCommand",
        OwnerIds: ["self"],
        Filters: [{ Name: "tag:drox-backup:managed", Values: ["true"] }],
      },
      { command: "DescribeDBSnapshotsCommand", SnapshotType: "manual" },
    ]);
  });
});
