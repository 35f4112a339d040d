import assert from "node:assert/strict";
import { DescribeDBSnapshotsCommand, RDSClient } from "@aws-sdk/client-rds";
import type { BackupResult } from "../runtime/contract/events";
import { runBackups } from "../runtime/jobs";
import { backupRdsInstances, snapshotIdentifier } from "../runtime/jobs/rds";
import { GIB } from "../runtime/jobs/result";
import {
  createKmsKey,
  createTestDbInstance,
  DR_REGION,
  drainQueue,
  FAST_WAITS,
  tagMap,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";

describe("RDS backup job", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let rds: RDSClient;

  beforeEach(async () => {
    rds = new RDSClient({});
  });

  it("must take a tagged DB snapshot, verify it available and encrypted, record and publish it", async () => {
    await createTestDbInstance("db-prod-1", { rds, allocatedStorage: 50, encrypted: true });
    const deps = testDeps({ ...aws.fixture.env, RDS_INSTANCE_IDS: "db-prod-1" });
    const [result, ...rest] = await runBackups("RDS", FAST_WAITS, deps);
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
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), result);
  });

  it("must fail a missing instance with the seed's message, not a stack trace", async () => {
    const deps = testDeps(aws.fixture.env);
    const [result] = await runBackups("RDS", { ...FAST_WAITS, resources: ["db-instance-1"] }, deps);
    assert.equal(result!.status, "FAILED");
    assert.deepEqual(result!.error, { message: "Database instance not found", code: "DBInstanceNotFound" });
    assert.equal(result!.resource, "db-instance-1");
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual((JSON.parse(message!.Message) as BackupResult).error, result!.error);
    assert.equal(message!.MessageAttributes?.status?.Value, "FAILED");
  });

  it("must warn when the DB snapshot is not encrypted", async () => {
    await createTestDbInstance("db-plain", { rds, allocatedStorage: 50, encrypted: false });
    const deps = testDeps(aws.fixture.env);
    const [result] = await runBackups("RDS", { ...FAST_WAITS, resources: ["db-plain"] }, deps);
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.verification, { dbVerified: false });
    assert.equal(result!.error?.code, "SnapshotNotEncrypted");
  });

  it("must select instances by BACKUP_TAG", async () => {
    await createTestDbInstance("db-tagged", {
      rds,
      allocatedStorage: 50,
      encrypted: true,
      tags: [{ Key: "Backup", Value: "true" }],
    });
    await createTestDbInstance("db-other", { rds, allocatedStorage: 50, encrypted: true });
    const deps = testDeps({ ...aws.fixture.env, BACKUP_TAG: "Backup=true" });
    const results = await runBackups("RDS", FAST_WAITS, deps);
    assert.deepEqual(
      results.map((r) => r.resource),
      ["db-tagged"],
    );
  });

  it("must copy the DB snapshot to DR_REGION encrypted with the DR key and tagged", async () => {
    await createTestDbInstance("db-prod-1", { rds, allocatedStorage: 50, encrypted: true });
    const key = await createKmsKey(aws.moto, DR_REGION);
    const deps = testDeps({ ...aws.fixture.env, DR_REGION, DR_KMS_KEY_ID: key, DR_RETENTION_DAYS: "30" });
    const [result] = await runBackups("RDS", { ...FAST_WAITS, resources: ["db-prod-1"] }, deps);
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

/** An AWS SDK error as the client throws it: its name is the error code, with $metadata. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

/** RDS answering by command name (the waiter polls DescribeDBSnapshots through the same send). */
function stubRds(answers: Record<string, (input: Record<string, unknown>) => unknown>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
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
  } as unknown as RDSClient;
  return { client, calls };
}

describe("RDS backup job against RDS's answers", () => {
  const ENV = {
    AWS_REGION: "us-east-1",
    JOB_TIMEOUT_SECONDS: "2",
    EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
    HISTORY_TABLE: "t",
  };
  const WAITS = { minDelaySeconds: 1, maxDelaySeconds: 1 };
  const ARN = "arn:aws:rds:us-east-1:123456789012:snapshot:drox-db-1-run-db-1";

  /** A DB snapshot of `status`, as DescribeDBSnapshots lists it. */
  function rdsWith(status: string | undefined, extra: Record<string, unknown> = {}) {
    return stubRds({
      CreateDBSnapshotCommand: (input) => ({
        DBSnapshot: { DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: "creating" },
      }),
      DescribeDBSnapshotsCommand: (input) => ({
        DBSnapshots:
          status === undefined
            ? []
            : [
                {
                  DBSnapshotIdentifier: input.DBSnapshotIdentifier,
                  Status: status,
                  AllocatedStorage: 20,
                  DBSnapshotArn: ARN,
                  ...extra,
                },
              ],
      }),
    });
  }

  function run(rds: RDSClient, env: Record<string, string> = {}, drRds?: RDSClient, signal?: AbortSignal) {
    const deps = testDeps({ ...ENV, ...env }, { rds, ...(drRds ? { drRds } : {}) });
    return backupRdsInstances(deps, ["db-1"], WAITS, signal, (id) => `run-${id}`);
  }

  it("must name the DB snapshot as RDS allows: lower case, single hyphens, the base cut to 200", () => {
    assert.equal(snapshotIdentifier("DB_Prod..1", "01JCABC"), "drox-db-prod-1-01jcabc");
    const long = snapshotIdentifier("d".repeat(300), "01JCABC");
    assert.equal(long, `drox-${"d".repeat(195)}-01jcabc`);
  });

  it("must verify an available encrypted snapshot, sized in GiB, and warn on an unencrypted one", async () => {
    const [ok] = await run(rdsWith("available", { Encrypted: true }).client);
    assert.equal(ok!.status, "SUCCEEDED");
    assert.deepEqual(ok!.metrics, { snapshotId: "drox-db-1-run-db-1", sizeBytes: 20 * GIB });
    assert.deepEqual(ok!.verification, { dbVerified: true });
    assert.equal(ok!.error, undefined);
    const [plain] = await run(rdsWith("available").client);
    assert.equal(plain!.status, "WARNING");
    assert.deepEqual(plain!.verification, { dbVerified: false });
    assert.deepEqual(plain!.error, {
      message: "DB snapshot drox-db-1-run-db-1 is not encrypted",
      code: "SnapshotNotEncrypted",
    });
  });

  it("must fail a snapshot in a status it never leaves, one RDS no longer lists and one in another status", async () => {
    const [failed] = await run(rdsWith("incompatible-parameters").client);
    assert.deepEqual(failed!.error, {
      message: "DB snapshot drox-db-1-run-db-1 failed (status incompatible-parameters)",
      code: "SnapshotFailed",
    });
    assert.deepEqual(failed!.verification, { dbVerified: false });
    const [gone] = await run(rdsWith(undefined).client);
    assert.equal(gone!.status, "WARNING", "the created snapshot was still creating");
    const unlisted = stubRds({
      CreateDBSnapshotCommand: () => ({}),
      DescribeDBSnapshotsCommand: () => ({}),
    });
    const [unknown] = await run(unlisted.client);
    assert.deepEqual(unknown!.error, {
      message: "DB snapshot drox-db-1-run-db-1 not available within 2 s (status unknown)",
      code: "SnapshotTimeout",
    });
    assert.deepEqual(unknown!.metrics, { snapshotId: "drox-db-1-run-db-1" });
    const [other] = await run(rdsWith("modifying").client);
    assert.equal(other!.status, "FAILED");
    assert.deepEqual(other!.error, {
      message: "DB snapshot drox-db-1-run-db-1 not available within 2 s (status modifying)",
      code: "SnapshotTimeout",
    });
  });

  it("must fail a missing instance with the seed's message, and pass on other errors with their code", async () => {
    for (const [error, expected] of [
      [
        awsError("DBInstanceNotFoundFault", "DBInstance db-1 not found."),
        { message: "Database instance not found", code: "DBInstanceNotFound" },
      ],
      [
        awsError("DBInstanceNotFound", "not found"),
        { message: "Database instance not found", code: "DBInstanceNotFound" },
      ],
      [
        awsError("SnapshotQuotaExceeded", "Quota exceeded"),
        { message: "Quota exceeded", code: "SnapshotQuotaExceeded" },
      ],
      [new Error("socket hang up"), { message: "socket hang up" }],
    ] as const) {
      const rds = stubRds({
        CreateDBSnapshotCommand: () => {
          throw error;
        },
      });
      const [result] = await run(rds.client);
      assert.equal(result!.type, "RDS");
      assert.equal(result!.status, "FAILED");
      assert.deepEqual(result!.error, expected);
      assert.equal(rds.calls.length, 1, "no wait for a snapshot that was not created");
    }
  });

  it("must copy to the DR region keeping the verdict; a failed copy warns with its code or CopyFailed", async () => {
    const dr = stubRds({
      CopyDBSnapshotCommand: (input) => ({
        DBSnapshot: { DBSnapshotIdentifier: input.TargetDBSnapshotIdentifier },
      }),
    });
    const [copied] = await run(rdsWith("available").client, { DR_REGION: "us-west-2" }, dr.client);
    assert.equal(copied!.status, "WARNING", "still not encrypted");
    assert.equal(copied!.error?.code, "SnapshotNotEncrypted");
    assert.deepEqual(copied!.metrics, {
      snapshotId: "drox-db-1-run-db-1",
      sizeBytes: 20 * GIB,
      copySnapshotId: "drox-db-1-run-db-1",
      copyRegion: "us-west-2",
    });
    assert.equal(dr.calls[0]!.input.SourceDBSnapshotIdentifier, ARN);
    for (const [error, code] of [
      [awsError("KMSKeyNotAccessibleFault", "key disabled"), "KMSKeyNotAccessibleFault"],
      [new Error("socket hang up"), "CopyFailed"],
    ] as const) {
      const failing = stubRds({
        CopyDBSnapshotCommand: () => {
          throw error;
        },
      });
      const [result] = await run(
        rdsWith("available", { Encrypted: true }).client,
        { DR_REGION: "us-west-2" },
        failing.client,
      );
      assert.equal(result!.status, "WARNING");
      assert.deepEqual(result!.verification, { dbVerified: true });
      assert.deepEqual(result!.metrics, { snapshotId: "drox-db-1-run-db-1", sizeBytes: 20 * GIB });
      assert.deepEqual(result!.error, {
        message: `Cross-region copy to us-west-2 failed: ${error.message}`,
        code,
      });
    }
  });

  it("must ask RDS for the snapshot by its name, tagged as ours, and report every outcome as RDS", async () => {
    const rds = rdsWith("available", { Encrypted: true });
    const [result] = await run(rds.client);
    assert.equal(result!.type, "RDS");
    assert.equal(result!.resource, "db-1");
    assert.equal(result!.jobId, "run-db-1");
    assert.deepEqual(rds.calls[0], {
      command: "CreateDBSnapshotCommand",
      input: {
        DBInstanceIdentifier: "db-1",
        DBSnapshotIdentifier: "drox-db-1-run-db-1",
        Tags: [
          { Key: "Name", Value: "drox-backup-db-1" },
          { Key: "drox-backup:managed", Value: "true" },
          { Key: "ManagedBy", Value: "drox-backup" },
          { Key: "drox-backup:job-id", Value: "run-db-1" },
          { Key: "drox-backup:source", Value: "db-1" },
          { Key: "drox-backup:retention-days", Value: "7" },
        ],
      },
    });
    assert.ok(
      rds.calls
        .slice(1)
        .every(
          (c) =>
            c.command === "DescribeDBSnapshotsCommand" &&
            c.input.DBSnapshotIdentifier === "drox-db-1-run-db-1",
        ),
    );
    const deps = testDeps(ENV, { rds: rdsWith("available", { Encrypted: true }).client });
    const [own] = await backupRdsInstances(deps, ["db-1"], WAITS);
    assert.match(own!.jobId, /^[0-9A-HJKMNP-TV-Z]{26}$/, "a ULID of its own");
  });

  it("must fail at once in each status a DB snapshot never leaves for available", async () => {
    for (const status of [
      "failed",
      "incompatible-restore",
      "incompatible-parameters",
      "deleted",
      "deleting",
    ]) {
      const [result] = await run(rdsWith(status).client);
      assert.equal(result!.type, "RDS");
      assert.equal(result!.status, "FAILED", status);
      assert.deepEqual(result!.verification, { dbVerified: false });
      assert.deepEqual(result!.error, {
        message: `DB snapshot drox-db-1-run-db-1 failed (status ${status})`,
        code: "SnapshotFailed",
      });
    }
  });

  it("must call a snapshot still creating pending and unverified, and one in another status unverified", async () => {
    const started = Date.now();
    const [pending] = await run(rdsWith("creating").client);
    assert.ok(Date.now() - started >= 1_000, "waited for it before calling it pending");
    assert.equal(pending!.type, "RDS");
    assert.equal(pending!.status, "WARNING");
    assert.deepEqual(pending!.verification, { dbVerified: false });
    assert.deepEqual(pending!.error, {
      message:
        "DB snapshot drox-db-1-run-db-1 still creating after 2 s; it was created and usually completes later. " +
        "The integrity check will follow it up and report it if it is not done within 24 h.",
      code: "SnapshotPending",
    });
    const [other] = await run(rdsWith("modifying").client);
    assert.equal(other!.type, "RDS");
    assert.deepEqual(other!.verification, { dbVerified: false });
  });

  it("must start nothing once aborted, and end a snapshot not yet available as Aborted", async () => {
    const before = new AbortController();
    before.abort(new Error("shutting down"));
    const idle = stubRds({});
    const [notStarted] = await run(idle.client, {}, undefined, before.signal);
    assert.equal(notStarted!.type, "RDS");
    assert.deepEqual(notStarted!.error, {
      message: "Backup aborted before its DB snapshot was started: shutting down",
      code: "Aborted",
    });
    assert.deepEqual(idle.calls, []);
    const during = new AbortController();
    const rds = rdsWith("creating");
    const send = rds.client.send.bind(rds.client);
    (rds.client as unknown as { send: unknown }).send = (command: { constructor: { name: string } }) => {
      if (command.constructor.name === "DescribeDBSnapshotsCommand") during.abort("SIGINT");
      return send(command as never);
    };
    const [aborted] = await run(rds.client, {}, undefined, during.signal);
    assert.equal(aborted!.type, "RDS");
    assert.equal(aborted!.status, "FAILED");
    assert.deepEqual(aborted!.verification, { dbVerified: false });
    assert.deepEqual(aborted!.metrics, { snapshotId: "drox-db-1-run-db-1", sizeBytes: 20 * GIB });
    assert.deepEqual(aborted!.error, {
      message: "Backup aborted before DB snapshot drox-db-1-run-db-1 was available (status creating): SIGINT",
      code: "Aborted",
    });
  });

  it("must copy only with DR_REGION, whichever region the source client is in", async () => {
    const dr = stubRds({
      CopyDBSnapshotCommand: (input) => ({
        DBSnapshot: { DBSnapshotIdentifier: input.TargetDBSnapshotIdentifier },
      }),
    });
    const [noRegion] = await run(rdsWith("available", { Encrypted: true }).client, {}, dr.client);
    assert.equal(noRegion!.metrics?.copyRegion, undefined);
    assert.equal(dr.calls.length, 0, "a DR client alone is no DR region");
    const own = rdsWith("available", { Encrypted: true });
    (own.client as unknown as { config: unknown }).config = { region: () => Promise.resolve("eu-central-1") };
    await run(own.client, { DR_REGION: "us-west-2", AWS_REGION: "", AWS_DEFAULT_REGION: "" }, dr.client);
    await run(rdsWith("available", { Encrypted: true }).client, { DR_REGION: "us-west-2" }, dr.client);
    assert.deepEqual(
      dr.calls.map((c) => c.input.SourceDBSnapshotIdentifier),
      [ARN, ARN],
    );
  });

  it("must not copy a snapshot RDS gave no ARN for", async () => {
    const dr = stubRds({});
    const [result] = await run(
      rdsWith("available", { Encrypted: true, DBSnapshotArn: undefined }).client,
      { DR_REGION: "us-west-2" },
      dr.client,
    );
    assert.equal(result!.status, "SUCCEEDED");
    assert.deepEqual(dr.calls, []);
  });

  it("must not start the DR copy once the run is aborted, keeping the verdict", async () => {
    const controller = new AbortController();
    const rds = rdsWith("available", { Encrypted: true });
    const send = rds.client.send.bind(rds.client);
    (rds.client as { send: unknown }).send = (command: { constructor: { name: string } }) => {
      if (command.constructor.name === "DescribeDBSnapshotsCommand") controller.abort("SIGINT");
      return send(command as never);
    };
    const dr = stubRds({});
    const [result] = await run(rds.client, { DR_REGION: "us-west-2" }, dr.client, controller.signal);
    assert.equal(result!.status, "WARNING");
    assert.deepEqual(result!.verification, { dbVerified: true });
    assert.deepEqual(result!.error, {
      message: "Cross-region copy to us-west-2 not started, the run was aborted: SIGINT",
      code: "Aborted",
    });
    assert.deepEqual(dr.calls, []);
  });
});
