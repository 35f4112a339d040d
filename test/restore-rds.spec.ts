/**
 * `restore rds` against moto: a new instance from a given DB snapshot and from `latest`, its
 * endpoint reported, recorded and published; an existing identifier is refused before any restore
 * call, as are missing, in-progress and foreign snapshots.
 */
import assert from "node:assert/strict";
import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DescribeDBSnapshotsCommandOutput,
} from "@aws-sdk/client-rds";
import type { RestoreEvent } from "../runtime/contract/events";
import { copyRdsSnapshot } from "../runtime/jobs/dr-copy";
import { snapshotTags } from "../runtime/jobs/tags";
import { createRestoreDeps, restoreRds, RestoreRefused, type RestoreDeps } from "../runtime/restore";
import {
  createKmsKey,
  createTestDbInstance,
  DR_REGION,
  drainQueue,
  rewriteOutput,
  tagMap,
  useJobsAws,
} from "./jobs-fixtures";

const GIB = 1024 ** 3;
const FAST = { timeoutSeconds: 30, minDelaySeconds: 1, maxDelaySeconds: 1 } as const;

async function dbSnapshot(rds: RDSClient, instance: string, id: string, managed = true): Promise<string> {
  await rds.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: instance,
      DBSnapshotIdentifier: id,
      ...(managed
        ? { Tags: snapshotTags({ jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S", source: instance, retentionDays: 7 }) }
        : {}),
    }),
  );
  return id;
}

function deps(env: Record<string, string>, overrides: Partial<RestoreDeps> = {}): RestoreDeps {
  return createRestoreDeps({}, { requestedBy: "alice", ...overrides }, { ...process.env, ...env });
}

/** Counts RestoreDBInstanceFromDBSnapshot calls that reach the API. */
function countRestores(client: RDSClient): { calls: number } {
  const counter = { calls: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "RestoreDBInstanceFromDBSnapshotCommand") counter.calls += 1;
      return next(args);
    },
    { step: "initialize", name: "count-restores" },
  );
  return counter;
}

describe("restore rds", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let rds: RDSClient;

  beforeEach(() => {
    rds = new RDSClient({});
  });

  it("must create an available instance from the given snapshot, report its endpoint, record and publish it", async () => {
    await createTestDbInstance("db-prod", { allocatedStorage: 50 });
    const snapshotId = await dbSnapshot(rds, "db-prod", "drox-db-prod-01jc9z3q8w6t4y2k1m0n7p5r3s");
    const result = await restoreRds(deps(aws.fixture.env), {
      snapshot: snapshotId,
      to: "db-prod-restored",
      ...FAST,
    });

    const { DBInstances } = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: "db-prod-restored" }),
    );
    const instance = DBInstances![0]!;
    assert.equal(instance.DBInstanceStatus, "available");
    assert.deepEqual(tagMap(instance.TagList), {
      "drox-backup:restored-from": snapshotId,
      "drox-backup:restore-id": result.event.restoreId,
      "drox-backup:restored-by": "alice",
    });
    const endpoint = `${instance.Endpoint!.Address}:${instance.Endpoint!.Port}`;
    assert.equal(result.endpoint, endpoint);
    assert.deepEqual(
      { ...result.event, restoreId: "", startedAt: "", finishedAt: "", durationSeconds: 0 },
      {
        schema: "backup.restore.v1",
        restoreId: "",
        type: "RDS",
        resource: "db-prod",
        from: snapshotId,
        target: "db-prod-restored",
        requestedBy: "alice",
        status: "SUCCEEDED",
        startedAt: "",
        finishedAt: "",
        durationSeconds: 0,
        metrics: { sizeBytes: 50 * GIB, endpoint },
      },
    );
    const published = await drainQueue(aws.fixture);
    assert.deepEqual(
      published.map((m) => JSON.parse(m.Message) as RestoreEvent),
      [result.event],
    );
  });

  it("must restore the newest available drox-backup snapshot of the instance for latest", async () => {
    await createTestDbInstance("db-prod");
    await createTestDbInstance("db-other");
    const older = await dbSnapshot(rds, "db-prod", "drox-db-prod-older");
    const newer = await dbSnapshot(rds, "db-prod", "drox-db-prod-newer");
    const creating = await dbSnapshot(rds, "db-prod", "drox-db-prod-creating");
    const manual = await dbSnapshot(rds, "db-prod", "someone-elses", false);
    const other = await dbSnapshot(rds, "db-other", "drox-db-other-newest");
    const times: Record<string, string> = {
      [older]: "2024-11-01T02:00:00Z",
      [newer]: "2024-11-03T02:00:00Z",
      [creating]: "2024-11-04T02:00:00Z",
      [manual]: "2024-11-05T02:00:00Z",
      [other]: "2024-11-06T02:00:00Z",
    };
    const client = new RDSClient({});
    rewriteOutput<DescribeDBSnapshotsCommandOutput>(client, "DescribeDBSnapshotsCommand", (out) => {
      for (const s of out.DBSnapshots ?? []) {
        s.SnapshotCreateTime = new Date(times[s.DBSnapshotIdentifier!] ?? "2024-10-01T00:00:00Z");
        if (s.DBSnapshotIdentifier === creating) s.Status = "creating";
      }
    });
    const result = await restoreRds(deps(aws.fixture.env, { rds: client }), {
      snapshot: "latest",
      instance: "db-prod",
      to: "db-prod-latest",
      ...FAST,
    });
    assert.equal(result.event.from, newer);
    assert.equal(result.event.status, "SUCCEEDED");
  });

  it("must refuse an existing identifier before calling restore, and missing, in-progress or foreign snapshots", async () => {
    await createTestDbInstance("db-prod");
    const ours = await dbSnapshot(rds, "db-prod", "drox-db-prod-ours");
    const foreign = await dbSnapshot(rds, "db-prod", "someone-elses", false);
    const busy = await dbSnapshot(rds, "db-prod", "drox-db-prod-busy");
    const client = new RDSClient({});
    rewriteOutput<DescribeDBSnapshotsCommandOutput>(client, "DescribeDBSnapshotsCommand", (out) => {
      for (const s of out.DBSnapshots ?? [])
        if (s.DBSnapshotIdentifier === busy) Object.assign(s, { Status: "creating", PercentProgress: 35 });
    });
    const counter = countRestores(client);
    const d = deps(aws.fixture.env, { rds: client });
    const refusal = (request: Parameters<typeof restoreRds>[1]) =>
      restoreRds(d, request).then(
        () => assert.fail("must be refused"),
        (error: unknown) => {
          assert.ok(error instanceof RestoreRefused, String(error));
          return [error.code, error.message];
        },
      );
    assert.deepEqual(await refusal({ snapshot: ours, to: "db-prod", ...FAST }), [
      "TargetExists",
      "DB instance db-prod already exists: a restore never replaces anything, choose a new --to identifier",
    ]);
    assert.deepEqual(await refusal({ snapshot: "no-such-snapshot", to: "db-new", ...FAST }), [
      "SnapshotNotFound",
      "DB snapshot no-such-snapshot not found",
    ]);
    assert.deepEqual(await refusal({ snapshot: busy, to: "db-new", ...FAST }), [
      "SnapshotInProgress",
      `DB snapshot ${busy} is still creating (35%): try again when it is available`,
    ]);
    assert.deepEqual(await refusal({ snapshot: foreign, to: "db-new", ...FAST }), [
      "SnapshotNotManaged",
      "DB snapshot someone-elses was not made by drox-backup (no drox-backup:managed=true tag): pass --force to restore it anyway",
    ]);
    assert.deepEqual(await refusal({ snapshot: ours, to: "db--bad", ...FAST }), [
      "InvalidRequest",
      '--to "db--bad" is not a DB instance identifier: 1 to 63 letters, digits or hyphens, starting with a letter, without "--" or a trailing hyphen',
    ]);
    assert.equal(counter.calls, 0, "nothing may be restored when refused");
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({}));
    assert.deepEqual(
      DBInstances!.map((i) => i.DBInstanceIdentifier),
      ["db-prod"],
    );
    assert.deepEqual(await drainQueue(aws.fixture), []);
  });

  it("must restore from the DR copy with --region, found by its source tag", async () => {
    await createTestDbInstance("db-prod");
    await dbSnapshot(rds, "db-prod", "drox-db-prod-1");
    const { DBSnapshots } = await rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: "drox-db-prod-1" }),
    );
    const dr = new RDSClient({ region: DR_REGION });
    const copy = await copyRdsSnapshot(dr, DBSnapshots![0]!.DBSnapshotArn!, "drox-db-prod-1-dr", {
      sourceRegion: "us-east-1",
      targetRegion: DR_REGION,
      jobId: "01JC9Z3Q8W6T4Y2K1M0N7P5R3S",
      source: "db-prod",
      retentionDays: 30,
      kmsKeyId: await createKmsKey(aws.moto, DR_REGION),
    });
    const d = createRestoreDeps(
      { region: DR_REGION },
      { requestedBy: "alice" },
      { ...process.env, ...aws.fixture.env },
    );
    const result = await restoreRds(d, {
      snapshot: "latest",
      instance: "db-prod",
      to: "db-prod-dr",
      ...FAST,
    });
    assert.equal(result.event.status, "SUCCEEDED", result.event.error?.message);
    assert.equal(result.event.from, copy.copySnapshotId);
    assert.equal(result.event.region, DR_REGION);
    const restored = await dr.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "db-prod-dr" }));
    assert.equal(restored.DBInstances?.[0]?.DBInstanceStatus, "available");
    assert.deepEqual(
      (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances!.map((i) => i.DBInstanceIdentifier),
      ["db-prod"],
    );
  });

  it("must record a restore AWS rejects as FAILED with its code", async () => {
    await createTestDbInstance("db-prod");
    const ours = await dbSnapshot(rds, "db-prod", "drox-db-prod-ours");
    const result = await restoreRds(deps(aws.fixture.env), {
      snapshot: ours,
      to: "db-new",
      subnetGroup: "no-such-subnet-group",
      ...FAST,
    });
    assert.equal(result.event.status, "FAILED");
    assert.equal(result.event.error?.code, "DBSubnetGroupNotFoundFault");
    const published = await drainQueue(aws.fixture);
    assert.equal((JSON.parse(published[0]!.Message) as RestoreEvent).status, "FAILED");
  });
});
