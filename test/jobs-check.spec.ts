import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
} from "@aws-sdk/client-ec2";
import { RDSClient, type DescribeDBSnapshotsCommandOutput } from "@aws-sdk/client-rds";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { BackupResult, IntegrityCheck } from "../runtime/contract/events";
import { runBackups, runIntegrityCheck } from "../runtime/jobs";
import { etagPairsKey } from "../runtime/jobs/s3-etag-pairs";
import {
  BACKUP_BUCKET,
  createBackupBucket,
  createKmsKey,
  createTestDbInstance,
  createTestVolume,
  DR_REGION,
  drainQueue,
  FAST_WAITS,
  motoS3,
  rewriteOutput,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";
import { emulateKmsEtags, encryptWithKmsByDefault } from "./support/kms-etags";

describe("integrity check (보안 점검)", function () {
  this.timeout(120_000);
  const aws = useJobsAws();
  let s3: S3Client;
  let ec2: EC2Client;
  let rds: RDSClient;

  beforeEach(async () => {
    s3 = motoS3();
    ec2 = new EC2Client({});
    rds = new RDSClient({});
  });

  async function backUpEverything(
    encrypted: boolean,
    extraEnv: Record<string, string> = {},
  ): Promise<Record<string, string>> {
    const volumeId = await createTestVolume({ ec2, encrypted });
    await createTestDbInstance("db-prod-1", { rds, encrypted });
    await s3.send(new CreateBucketCommand({ Bucket: "app-data" }));
    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "a.txt", Body: "a" }));
    const env = {
      ...aws.fixture.env,
      EBS_VOLUME_IDS: volumeId,
      RDS_INSTANCE_IDS: "db-prod-1",
      S3_SOURCE_BUCKETS: "app-data",
      ...extraEnv,
    };
    await runBackups("ALL", FAST_WAITS, testDeps(env));
    await drainQueue(aws.fixture);
    return env;
  }

  it("must pass sound backups and publish backup.check.v1 without findings", async () => {
    await createBackupBucket(s3);
    const env = await backUpEverything(true);
    const check = await runIntegrityCheck(testDeps(env));
    assert.deepEqual(check.findings, []);
    assert.equal(check.status, "SUCCEEDED");
    assert.equal(
      check.checkedResources,
      4,
      "1 EBS snapshot, 1 DB snapshot, the backup bucket, 1 source bucket",
    );
    const [message] = await drainQueue(aws.fixture);
    assert.deepEqual(JSON.parse(message!.Message), check);
    assert.deepEqual(message!.MessageAttributes?.status, { Type: "String", Value: "SUCCEEDED" });
  });

  it("must report unencrypted snapshots, a missing object and a weak backup bucket, and fail", async () => {
    await createBackupBucket(s3, BACKUP_BUCKET, false);
    const env = await backUpEverything(false);
    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "new-since-backup.txt", Body: "n" }));
    const check = await runIntegrityCheck(testDeps(env));
    const messages = check.findings.map((f) => `${f.severity} ${f.message}`);
    assert.ok(messages.includes("WARNING EBS snapshot is not encrypted"), messages.join("\n"));
    assert.ok(messages.includes("WARNING DB snapshot is not encrypted"));
    assert.ok(messages.includes("WARNING Backup bucket versioning is not enabled"));
    assert.ok(messages.includes("CRITICAL Backup bucket has no public access block"));
    assert.ok(
      messages.some((m) =>
        m.startsWith("WARNING 1 of 2 objects missing from the backup (e.g. new-since-backup.txt)"),
      ),
    );
    assert.equal(check.status, "FAILED");
    const [message] = await drainQueue(aws.fixture);
    assert.equal((JSON.parse(message!.Message) as IntegrityCheck).status, "FAILED");
  });

  it("must report a source object edited in place with the same size, naming it, in an SSE-KMS backup", async () => {
    await createBackupBucket(s3);
    await encryptWithKmsByDefault(s3, BACKUP_BUCKET);
    // What AWS answers for an SSE-KMS bucket: copy ETags that are not the MD5 of the data.
    const kmsS3 = motoS3();
    emulateKmsEtags(kmsS3, [BACKUP_BUCKET]);
    await s3.send(new CreateBucketCommand({ Bucket: "app-data" }));
    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "ledger.csv", Body: "a,1" }));
    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "same.csv", Body: "b,2" }));
    const env = { ...aws.fixture.env, S3_SOURCE_BUCKETS: "app-data" };
    const [backup] = await runBackups("S3", {}, testDeps(env, { s3: kmsS3 }));
    assert.equal(backup!.status, "SUCCEEDED");
    const intact = await runIntegrityCheck(testDeps(env, { s3: kmsS3 }));
    assert.deepEqual(intact.findings, []);

    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "ledger.csv", Body: "a,9" }));
    const check = await runIntegrityCheck(testDeps(env, { s3: kmsS3 }));
    assert.deepEqual(check.findings, [
      {
        severity: "WARNING",
        resource: "s3://app-data",
        message: "1 of 2 objects no longer match their backup copy (e.g. ledger.csv)",
      },
    ]);
    assert.equal(check.status, "WARNING");
  });

  it("must say which S3 copies it cannot verify, and why, instead of calling them intact", async () => {
    await createBackupBucket(s3);
    await encryptWithKmsByDefault(s3, BACKUP_BUCKET);
    const kmsS3 = motoS3();
    emulateKmsEtags(kmsS3, [BACKUP_BUCKET]);
    await s3.send(new CreateBucketCommand({ Bucket: "app-data" }));
    for (const key of ["a.csv", "b.csv", "c.csv"]) {
      await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: key, Body: `${key} rows` }));
    }
    const env = { ...aws.fixture.env, S3_SOURCE_BUCKETS: "app-data" };
    const [backup] = await runBackups("S3", {}, testDeps(env, { s3: kmsS3 }));
    assert.equal(backup!.status, "SUCCEEDED");
    // The copies' only record of their source versions is the pairs of ETags: lose them.
    await s3.send(new DeleteObjectCommand({ Bucket: BACKUP_BUCKET, Key: etagPairsKey("app-data/") }));

    const lost = await runIntegrityCheck(testDeps(env, { s3: kmsS3 }));
    assert.deepEqual(lost.findings, [
      {
        severity: "WARNING",
        resource: "s3://app-data",
        message:
          "3 of 3 objects could not be verified against their backup copy (e.g. a.csv, b.csv, c.csv): nothing " +
          "records which source version each copy holds (pairs of ETags lost or not yet stored, no source ETag " +
          "in the copy's metadata); the next S3 backup run copies them again",
      },
    ]);
    assert.equal(lost.status, "WARNING");

    const [again] = await runBackups("S3", {}, testDeps(env, { s3: kmsS3 }));
    assert.equal(again!.metrics?.filesCopied, 3);
    assert.deepEqual((await runIntegrityCheck(testDeps(env, { s3: kmsS3 }))).findings, []);

    // Copies made in parts or again after a loss carry their source ETag: only lost pairs of
    // others, and a file that cannot be read, are reported as such.
    await s3.send(new PutObjectCommand({ Bucket: "app-data", Key: "d.csv", Body: "d.csv rows" }));
    await runBackups("S3", {}, testDeps(env, { s3: kmsS3 }));
    kmsS3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (context.commandName === "GetObjectCommand" && input.Key === etagPairsKey("app-data/")) {
          throw new S3ServiceException({
            name: "AccessDenied",
            $fault: "client",
            $metadata: { httpStatusCode: 403 },
            message: "Access Denied",
          });
        }
        return next(args);
      },
      { step: "initialize", name: "denyPairs" },
    );
    const unreadable = await runIntegrityCheck(testDeps(env, { s3: kmsS3 }));
    assert.deepEqual(unreadable.findings, [
      {
        severity: "WARNING",
        resource: "s3://app-data",
        message:
          "1 of 4 objects could not be verified against their backup copy (e.g. d.csv): the stored pairs of ETags " +
          "that record which source version each copy holds could not be read (AccessDenied: Access Denied)",
      },
    ]);
  });

  it("must never judge snapshots it did not make", async () => {
    await createBackupBucket(s3);
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 }));
    await ec2.send(new CreateSnapshotCommand({ VolumeId }));
    const check = await runIntegrityCheck(testDeps(aws.fixture.env));
    assert.deepEqual(check.findings, []);
  });

  it("must flag an own snapshot the job left pending once it is a day old, not while it is fresh", async () => {
    await createBackupBucket(s3);
    const env = await backUpEverything(true);
    // What the job saw when its wait ran out (SnapshotPending): the snapshots are still being made.
    const slowEc2 = new EC2Client({});
    rewriteOutput<DescribeSnapshotsCommandOutput>(slowEc2, "DescribeSnapshotsCommand", (out) => {
      for (const snap of out.Snapshots ?? []) snap.State = "pending";
    });
    const slowRds = new RDSClient({});
    rewriteOutput<DescribeDBSnapshotsCommandOutput>(slowRds, "DescribeDBSnapshotsCommand", (out) => {
      for (const snap of out.DBSnapshots ?? []) snap.Status = "creating";
    });
    const fresh = await runIntegrityCheck(testDeps(env, { ec2: slowEc2, rds: slowRds }));
    assert.deepEqual(fresh.findings, [], "a first snapshot of a big volume may take hours");

    const later = new Date(Date.now() + 25 * 3_600_000);
    const check = await runIntegrityCheck(testDeps(env, { ec2: slowEc2, rds: slowRds, now: () => later }));
    const found = check.findings.map((f) => `${f.severity} ${f.resource}: ${f.message}`);
    assert.equal(found.length, 2, found.join("\n"));
    assert.match(
      found[0]!,
      new RegExp(
        `^WARNING snap-[0-9a-f]+ \\(${env.EBS_VOLUME_IDS}\\): EBS snapshot is still pending after 2[45] h, not completed$`,
      ),
    );
    assert.match(
      found[1]!,
      /^WARNING drox-db-prod-1-[0-9a-z]+ \(db-prod-1\): DB snapshot is still creating after 2[45] h, not available$/,
    );
    assert.equal(check.status, "WARNING");
    const published = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as IntegrityCheck);
    assert.deepEqual(published.at(-1), check);
  });

  it("must follow up a snapshot the job left pending once the check finds it completed, in the original's thread, once", async () => {
    await createBackupBucket(s3);
    const volumeId = await createTestVolume({ ec2, encrypted: true });
    const env = { ...aws.fixture.env, JOB_TIMEOUT_SECONDS: "2" };
    const slowEc2 = new EC2Client({});
    rewriteOutput<DescribeSnapshotsCommandOutput>(slowEc2, "DescribeSnapshotsCommand", (out) => {
      for (const snap of out.Snapshots ?? []) snap.State = "pending";
    });
    const [pending] = await runBackups(
      "EBS",
      { ...FAST_WAITS, resources: [volumeId], skipRetention: true },
      testDeps(env, { ec2: slowEc2 }),
    );
    assert.equal(pending?.error?.code, "SnapshotPending");
    await drainQueue(aws.fixture);

    await runIntegrityCheck(testDeps(env)); // moto: the snapshot has completed meanwhile
    const published = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as BackupResult);
    const followUps = published.filter((e) => e.schema === "backup.result.v1");
    assert.equal(followUps.length, 1);
    assert.equal(followUps[0]!.jobId, `${pending!.jobId}.done`);
    assert.equal(followUps[0]!.followUpOf, pending!.jobId);
    assert.equal(followUps[0]!.status, "SUCCEEDED");
    assert.equal(followUps[0]!.error, undefined);
    assert.deepEqual(followUps[0]!.metrics, pending!.metrics);

    await runIntegrityCheck(testDeps(env)); // the next check: already followed up
    const again = (await drainQueue(aws.fixture)).filter(
      (m) => JSON.parse(m.Message).schema === "backup.result.v1",
    );
    assert.equal(again.length, 0);
  });

  describe("with DR_REGION", () => {
    const HOUR = 3_600_000;
    let dr: Record<string, string>;

    beforeEach(async () => {
      await createBackupBucket(s3);
      dr = { DR_REGION, DR_KMS_KEY_ID: await createKmsKey(aws.moto, DR_REGION) };
    });

    it("must check the DR copies too and pass when each is there, completed and encrypted", async () => {
      const env = await backUpEverything(true, dr);
      const check = await runIntegrityCheck(testDeps(env));
      assert.deepEqual(check.findings, []);
      assert.equal(check.checkedResources, 6, "the 4 as without DR, plus the EBS and the DB snapshot copies");
    });

    it("must follow up each job once its DR copies are completed, in the original's thread, once", async () => {
      const env = await backUpEverything(true, dr);
      const drEc2 = new EC2Client({ region: DR_REGION });
      rewriteOutput<DescribeSnapshotsCommandOutput>(drEc2, "DescribeSnapshotsCommand", (out) => {
        for (const snap of out.Snapshots ?? []) snap.State = "pending";
      });
      await runIntegrityCheck(testDeps(env, { drEc2 }));
      const whileCopying = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as BackupResult);
      // The RDS job's copy is done (moto), the EBS job's still pending: only the RDS job is followed up.
      const first = whileCopying.filter((e) => e.schema === "backup.result.v1");
      assert.deepEqual(
        first.map((e) => [e.type, e.status, e.improvement, e.error]),
        [["RDS", "SUCCEEDED", "무결성 검사에서 DR 복사본 완료 확인", undefined]],
      );
      assert.equal(first[0]!.jobId, `${first[0]!.followUpOf}.dr`);

      await runIntegrityCheck(testDeps(env)); // both copies completed now
      const done = (await drainQueue(aws.fixture))
        .map((m) => JSON.parse(m.Message) as BackupResult)
        .filter((e) => e.schema === "backup.result.v1");
      assert.deepEqual(
        done.map((e) => [e.type, e.status, e.jobId === `${e.followUpOf}.dr`]),
        [["EBS", "SUCCEEDED", true]],
        "the RDS job was followed up already",
      );
      await runIntegrityCheck(testDeps(env));
      const again = (await drainQueue(aws.fixture)).filter(
        (m) => (JSON.parse(m.Message) as BackupResult).schema === "backup.result.v1",
      );
      assert.equal(again.length, 0);
    });

    it("must flag DR copies still in progress a day later, but not while they are fresh", async () => {
      const env = await backUpEverything(true, dr);
      const drEc2 = new EC2Client({ region: DR_REGION });
      rewriteOutput<DescribeSnapshotsCommandOutput>(drEc2, "DescribeSnapshotsCommand", (out) => {
        for (const snap of out.Snapshots ?? []) snap.State = "pending";
      });
      const drRds = new RDSClient({ region: DR_REGION });
      rewriteOutput<DescribeDBSnapshotsCommandOutput>(drRds, "DescribeDBSnapshotsCommand", (out) => {
        for (const snap of out.DBSnapshots ?? []) snap.Status = "copying";
      });
      const fresh = await runIntegrityCheck(testDeps(env, { drEc2, drRds }));
      assert.deepEqual(fresh.findings, [], "a copy may take hours");

      const later = new Date(Date.now() + 25 * HOUR);
      const check = await runIntegrityCheck(testDeps(env, { drEc2, drRds, now: () => later }));
      const found = check.findings.map((f) => `${f.severity} ${f.resource}: ${f.message}`);
      assert.equal(found.length, 2, found.join("\n"));
      assert.match(
        found[0]!,
        new RegExp(
          `^WARNING snap-[0-9a-f]+ \\(${env.EBS_VOLUME_IDS}\\) in ${DR_REGION}: EBS snapshot DR copy is still pending after 2[45] h, not completed$`,
        ),
      );
      assert.match(
        found[1]!,
        new RegExp(
          `^WARNING drox-db-prod-1-[0-9a-z]+ \\(db-prod-1\\) in ${DR_REGION}: DB snapshot DR copy is still copying after 2[45] h, not available$`,
        ),
      );
      assert.equal(check.status, "WARNING");
      const published = (await drainQueue(aws.fixture)).map((m) => JSON.parse(m.Message) as IntegrityCheck);
      assert.deepEqual(published.at(-1), check);
    });

    it("must flag own snapshots that have no copy in the DR region once the job has had time to copy them", async () => {
      const env = await backUpEverything(true);
      const withDr = { ...env, ...dr };
      const soon = await runIntegrityCheck(testDeps(withDr));
      assert.deepEqual(soon.findings, [], "a backup still running may not have copied yet");

      const later = new Date(Date.now() + 2 * HOUR);
      const check = await runIntegrityCheck(testDeps(withDr, { now: () => later }));
      assert.deepEqual(
        check.findings.map((f) => [f.severity, f.resource.replace(/^\S+ /, ""), f.message]),
        [
          ["WARNING", `(${env.EBS_VOLUME_IDS})`, `EBS snapshot has no copy in the DR region ${DR_REGION}`],
          ["WARNING", "(db-prod-1)", `DB snapshot has no copy in the DR region ${DR_REGION}`],
        ],
      );
      assert.equal(check.status, "WARNING");
    });
  });
});
