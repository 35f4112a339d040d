import assert from "node:assert/strict";
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from "@aws-sdk/client-rds";
import { runDrill } from "../runtime/drills";
import { runBackups } from "../runtime/jobs";
import { drillDeps, FAST_DRILL_WAITS, recordCalls } from "./drill-fixtures";
import {
  createTestDbInstance,
  drainQueue,
  FAST_WAITS,
  rewriteOutput,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

async function instanceIds(rds: RDSClient): Promise<string[]> {
  const out = await rds.send(new DescribeDBInstancesCommand({}));
  return (out.DBInstances ?? []).map((db) => db.DBInstanceIdentifier ?? "").sort();
}

describe("RDS restore drill", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let rds: RDSClient;

  beforeEach(() => {
    rds = new RDSClient({});
  });

  async function backedUp(id: string): Promise<string> {
    await createTestDbInstance(id, { rds, allocatedStorage: 20, encrypted: true });
    const [result] = await runBackups(
      "RDS",
      { ...FAST_WAITS, resources: [id], skipRetention: true },
      testDeps(aws.fixture.env),
    );
    await drainQueue(aws.fixture);
    return result!.metrics!.snapshotId!;
  }

  it("must restore the newest own DB snapshot into a private drox-drill-* instance, verify it, time it and delete it without a final snapshot", async () => {
    const snapshotId = await backedUp("db-prod-1");
    const client = new RDSClient({});
    const calls = recordCalls(client);
    const deps = drillDeps(aws.fixture.env, { rds: client }, { dbInstanceClass: "db.t4g.micro" });
    const drill = await runDrill("RDS", { resources: ["db-prod-1"], waits: FAST_DRILL_WAITS }, deps);

    assert.equal(drill.status, "SUCCEEDED");
    const [r] = drill.resources;
    assert.equal(r!.resource, "db-prod-1");
    assert.equal(r!.snapshotId, snapshotId);
    assert.deepEqual(r!.findings, []);
    assert.equal(typeof r!.secondsToRestore, "number");
    const short = drill.drillId.toLowerCase().slice(-10);
    assert.equal(r!.restoredId, `drox-drill-${short}-1`);
    // A successful RDS restore is what verifies the DB backup.
    assert.deepEqual(drill.verification, { dbVerified: true, securityCheck: true });

    const restore = calls.find((c) => c.command === "RestoreDBInstanceFromDBSnapshotCommand");
    assert.equal(restore?.input.DBInstanceIdentifier, r!.restoredId);
    assert.equal(restore?.input.DBSnapshotIdentifier, snapshotId);
    assert.equal(restore?.input.DBInstanceClass, "db.t4g.micro");
    assert.equal(restore?.input.PubliclyAccessible, false);
    assert.equal(restore?.input.DeletionProtection, false);
    const created = (restore?.output.DBInstance ?? {}) as DBInstance;
    assert.equal(tagMap(created.TagList)["drox-backup:drill"], drill.drillId);
    const del = calls.find((c) => c.command === "DeleteDBInstanceCommand");
    assert.deepEqual(
      { id: del?.input.DBInstanceIdentifier, skip: del?.input.SkipFinalSnapshot },
      { id: r!.restoredId, skip: true },
    );
    // Only the source is left.
    assert.deepEqual(await instanceIds(rds), ["db-prod-1"]);
  });

  it("must fail a restore that RDS reports incompatible-restore at once, and delete the instance", async () => {
    await backedUp("db-broken");
    const client = new RDSClient({});
    rewriteOutput<{ DBInstances?: DBInstance[] }>(client, "DescribeDBInstancesCommand", (out) => {
      for (const db of out.DBInstances ?? [])
        if (db.DBInstanceIdentifier?.startsWith("drox-drill-")) db.DBInstanceStatus = "incompatible-restore";
    });
    const started = Date.now();
    const drill = await runDrill(
      "RDS",
      { resources: ["db-broken"], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env, { rds: client }),
    );
    assert.ok(Date.now() - started < 15_000, "a dead restore is not waited on until the deadline");
    const [r] = drill.resources;
    assert.equal(drill.status, "FAILED");
    assert.deepEqual(drill.verification, { dbVerified: false, securityCheck: true });
    assert.match(
      r!.findings[0]!.message,
      /did not become available after \d+ s: it ended incompatible-restore$/,
    );
    assert.deepEqual(await instanceIds(rds), ["db-broken"]);
  });

  it("must warn when the DB snapshot restored is not encrypted", async () => {
    await createTestDbInstance("db-plain", { rds, encrypted: false });
    await runBackups(
      "RDS",
      { ...FAST_WAITS, resources: ["db-plain"], skipRetention: true },
      testDeps(aws.fixture.env),
    );
    const drill = await runDrill(
      "RDS",
      { resources: ["db-plain"], waits: FAST_DRILL_WAITS },
      drillDeps(aws.fixture.env),
    );
    const [r] = drill.resources;
    assert.equal(r!.status, "WARNING");
    assert.deepEqual(
      r!.findings.map((f) => [f.severity, f.message]),
      [["WARNING", `DB snapshot ${r!.snapshotId} is not encrypted`]],
    );
    // Restored, but not cleanly: dbVerified needs a SUCCEEDED restore.
    assert.deepEqual(drill.verification, { dbVerified: false, securityCheck: true });
  });
});
