import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  EC2Client,
  type DescribeSnapshotsCommandOutput,
  type Snapshot,
  type SnapshotState,
  type Tag,
} from "@aws-sdk/client-ec2";
import { RDSClient, type DBSnapshot, type DescribeDBSnapshotsCommandOutput } from "@aws-sdk/client-rds";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { decodeTime } from "ulid";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  S3Client,
} from "@aws-sdk/client-s3";
import type { BackupResult, DroxEvent, IntegrityCheck } from "../runtime/contract/events";
import { runBackups, runIntegrityCheck } from "../runtime/jobs";
import { checkIntegrity } from "../runtime/jobs/check";
import { SNAPSHOT_PENDING_GRACE_HOURS } from "../runtime/jobs/pending";
import { etagPairsKey } from "../runtime/jobs/s3-etag-pairs";
import { COPY_OF_TAG, JOB_ID_TAG, MANAGED_TAG, SOURCE_TAG } from "../runtime/jobs/tags";
import type { JobSettings } from "../runtime/settings/jobs";
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
  readJobSettings,
  rewriteOutput,
  testDeps,
  useJobsAws,
} from "./jobs-fixtures";
import { emulateKmsEtags, encryptWithKmsByDefault } from "./support/kms-etags";
import { MemoryHistory } from "./support/memory-history";
import { fail, OFFLINE, script, type Answer, type Sent } from "./support/scripted-aws";

/**
 * The findings themselves, from answers AWS gives and moto never does (a snapshot in `error`, a
 * bucket that cannot be read, an S3 Batch Operations job still running), at the boundaries the
 * contract names: SNAPSHOT_PENDING_GRACE_HOURS (docs/jobs-and-iam.md: "still in progress 24 h after
 * it was started is flagged"), RETENTION_DAYS, DR_RETENTION_DAYS and JOB_TIMEOUT_SECONDS. The
 * clients are answered from a script (no moto), so each case is milliseconds.
 */
describe("integrity check findings (scripted AWS answers)", () => {
  const NOW = new Date("2026-11-30T06:00:00.000Z");
  const HOUR = 3_600_000;
  const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR);
  const managed = (...extra: Tag[]): Tag[] => [{ Key: MANAGED_TAG, Value: "true" }, ...extra];

  const SOUND_BUCKET: Record<string, Answer> = {
    GetBucketVersioningCommand: () => ({ Status: "Enabled" }),
    GetBucketEncryptionCommand: () => ({
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }],
      },
    }),
    GetPublicAccessBlockCommand: () => ({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  };

  const awsError = (name: string, httpStatusCode: number, message = name) =>
    new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode }, message });

  interface World {
    readonly snapshots?: Answer;
    readonly dbSnapshots?: Answer;
    readonly drSnapshots?: Snapshot[];
    readonly drDbSnapshots?: DBSnapshot[];
    /** Every DR request fails with this. */
    readonly drFails?: Error;
    readonly s3?: Record<string, Answer>;
    readonly s3Control?: Record<string, Answer>;
    readonly settings?: Partial<JobSettings>;
    readonly sources?: readonly string[];
    readonly history?: MemoryHistory;
    readonly publish?: (event: DroxEvent) => Promise<string>;
    /** The DR region's clients the deps carry; by default both when DR_REGION is set, else none. */
    readonly drClients?: readonly ("drEc2" | "drRds")[];
  }

  async function check(world: World): Promise<{
    check: IntegrityCheck;
    sent: Record<"ec2" | "rds" | "s3" | "drEc2" | "drRds" | "s3Control", Sent[]>;
  }> {
    const settings: JobSettings = {
      ...readJobSettings({ AWS_REGION: "us-east-1" }),
      backupBucket: BACKUP_BUCKET,
      retentionDays: 7,
      drRetentionDays: 7,
      jobTimeoutSeconds: 3600,
      ...world.settings,
    };
    const ec2 = new EC2Client(OFFLINE);
    const rds = new RDSClient(OFFLINE);
    const s3 = new S3Client(OFFLINE);
    const drEc2 = new EC2Client({ ...OFFLINE, region: DR_REGION });
    const drRds = new RDSClient({ ...OFFLINE, region: DR_REGION });
    const s3Control = new S3ControlClient(OFFLINE);
    const sent = {
      ec2: script(ec2, { DescribeSnapshotsCommand: world.snapshots ?? (() => ({ Snapshots: [] })) }),
      rds: script(rds, { DescribeDBSnapshotsCommand: world.dbSnapshots ?? (() => ({ DBSnapshots: [] })) }),
      s3: script(s3, {
        ...SOUND_BUCKET,
        GetObjectCommand: fail(awsError("NoSuchKey", 404)),
        HeadBucketCommand: () => ({ BucketRegion: "us-east-1" }),
        ...world.s3,
      }),
      drEc2: script(drEc2, {
        DescribeSnapshotsCommand: world.drFails
          ? fail(world.drFails)
          : () => ({ Snapshots: world.drSnapshots ?? [] }),
      }),
      drRds: script(drRds, {
        DescribeDBSnapshotsCommand: world.drFails
          ? fail(world.drFails)
          : () => ({ DBSnapshots: world.drDbSnapshots ?? [] }),
      }),
      s3Control: script(s3Control, world.s3Control ?? {}),
    };
    const drClients = world.drClients ?? (settings.drRegion ? ["drEc2", "drRds"] : []);
    const deps = {
      ...testDeps(
        {},
        {
          settings,
          ec2,
          rds,
          s3,
          s3Control,
          history: world.history ?? new MemoryHistory(),
          publisher: { publish: world.publish ?? (async () => "message-id") },
          now: () => NOW,
        },
      ),
      // Set here, not through testDeps: it creates both DR clients whenever DR_REGION is set.
      drEc2: drClients.includes("drEc2") ? drEc2 : undefined,
      drRds: drClients.includes("drRds") ? drRds : undefined,
    };
    return { check: await checkIntegrity(deps, { sourceBuckets: world.sources ?? [] }), sent };
  }

  const bucketFindings = (c: IntegrityCheck) =>
    c.findings.filter((f) => f.resource === `s3://${BACKUP_BUCKET}`);

  it("must publish when and which check it was, and pass a sound bucket with nothing to judge", async () => {
    const { check: c, sent } = await check({});
    assert.deepEqual(c.findings, []);
    assert.equal(c.status, "SUCCEEDED");
    assert.equal(c.checkedResources, 1, "the backup bucket");
    assert.equal(c.checkedAt, NOW.toISOString());
    assert.match(c.checkId, /^check-[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(decodeTime(c.checkId.slice("check-".length)), NOW.getTime());
    assert.deepEqual(
      sent.ec2.map(({ input }) => [input.OwnerIds, input.Filters]),
      [[["self"], [{ Name: `tag:${MANAGED_TAG}`, Values: ["true"] }]]],
    );
    assert.deepEqual(
      sent.rds.map(({ input }) => input.SnapshotType),
      ["manual"],
    );
    assert.deepEqual(
      sent.s3.map((s) => [s.command, s.input.Bucket]),
      [
        ["GetBucketVersioningCommand", BACKUP_BUCKET],
        ["GetBucketEncryptionCommand", BACKUP_BUCKET],
        ["GetPublicAccessBlockCommand", BACKUP_BUCKET],
      ],
    );
    assert.equal(sent.drEc2.length + sent.drRds.length, 0, "no DR_REGION, no DR reads");
  });

  it("must fail on a snapshot in error naming AWS's state message, and on a failed or unrestorable DB snapshot", async () => {
    const { check: c } = await check({
      snapshots: () => ({
        Snapshots: [
          {
            SnapshotId: "snap-1",
            VolumeId: "vol-1",
            State: "error",
            StateMessage: "Internal error",
            StartTime: ago(2),
            Encrypted: true,
            Tags: managed(),
          },
          {
            SnapshotId: "snap-2",
            VolumeId: "vol-placeholder",
            State: "error",
            StartTime: ago(2),
            Encrypted: true,
            Tags: managed({ Key: SOURCE_TAG, Value: "vol-2" }),
          },
        ],
      }),
      dbSnapshots: () => ({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: "drox-db-1-a",
            DBInstanceIdentifier: "db-1",
            Status: "failed",
            SnapshotCreateTime: ago(2),
            Encrypted: true,
            TagList: managed(),
          },
          {
            DBSnapshotIdentifier: "drox-db-2-a",
            Status: "incompatible-restore",
            SnapshotCreateTime: ago(2),
            Encrypted: true,
            TagList: managed(),
          },
        ],
      }),
    });
    assert.deepEqual(c.findings, [
      { severity: "CRITICAL", resource: "snap-1 (vol-1)", message: "EBS snapshot failed: Internal error" },
      { severity: "CRITICAL", resource: "snap-2 (vol-2)", message: "EBS snapshot failed: state error" },
      { severity: "CRITICAL", resource: "drox-db-1-a (db-1)", message: "DB snapshot is failed" },
      {
        severity: "CRITICAL",
        resource: "drox-db-2-a (unknown instance)",
        message: "DB snapshot is incompatible-restore",
      },
    ]);
    assert.equal(c.status, "FAILED");
    assert.equal(c.checkedResources, 5);
  });

  it(`must flag a snapshot still in progress ${SNAPSHOT_PENDING_GRACE_HOURS} h after it started, in whole hours, and not before`, async () => {
    const snap = (id: string, startedHoursAgo: number | undefined, State?: SnapshotState): Snapshot => ({
      SnapshotId: id,
      VolumeId: "vol-1",
      State,
      StartTime: startedHoursAgo === undefined ? undefined : ago(startedHoursAgo),
      Encrypted: true,
      Tags: managed(),
    });
    const db = (id: string, createdHoursAgo: number, Status: string): DBSnapshot => ({
      DBSnapshotIdentifier: id,
      DBInstanceIdentifier: "db-1",
      Status,
      SnapshotCreateTime: ago(createdHoursAgo),
      Encrypted: true,
      TagList: managed(),
    });
    const grace = SNAPSHOT_PENDING_GRACE_HOURS;
    const { check: c } = await check({
      snapshots: () => ({
        Snapshots: [
          snap("snap-fresh", grace - 0.01, "pending"),
          snap("snap-due", grace, "pending"),
          snap("snap-late", grace + 5.75, "pending"),
          snap("snap-unknown", undefined, undefined),
          snap("snap-done", 100, "completed"),
        ],
      }),
      dbSnapshots: () => ({
        DBSnapshots: [
          db("db-fresh", grace - 0.01, "creating"),
          db("db-due", grace, "creating"),
          db("db-done", 100, "available"),
        ],
      }),
    });
    assert.deepEqual(
      c.findings.map((f) => `${f.resource}: ${f.message}`),
      [
        `snap-due (vol-1): EBS snapshot is still pending after ${grace} h, not completed`,
        `snap-late (vol-1): EBS snapshot is still pending after ${grace + 5} h, not completed`,
        "snap-unknown (vol-1): EBS snapshot is still in an unknown state, not completed",
        `db-due (db-1): DB snapshot is still creating after ${grace} h, not available`,
      ],
    );
    assert.ok(c.findings.every((f) => f.severity === "WARNING"));
    assert.equal(c.status, "WARNING");
  });

  it("must judge only its own snapshots of the retention window, the window's first instant included", async () => {
    const since = ago(7 * 24);
    const { check: c } = await check({
      snapshots: () => ({
        Snapshots: [
          {
            SnapshotId: "snap-first",
            VolumeId: "vol-1",
            State: "completed",
            StartTime: since,
            Tags: managed(),
          },
          {
            SnapshotId: "snap-expired",
            VolumeId: "vol-1",
            State: "completed",
            StartTime: new Date(since.getTime() - 1),
            Tags: managed(),
          },
          { SnapshotId: "snap-foreign", VolumeId: "vol-1", State: "completed", StartTime: ago(1), Tags: [] },
          {
            SnapshotId: "snap-unmanaged",
            VolumeId: "vol-1",
            State: "completed",
            StartTime: ago(1),
            Tags: [{ Key: MANAGED_TAG, Value: "false" }],
          },
          { VolumeId: "vol-1", State: "completed", StartTime: ago(1), Tags: managed() },
          {
            SnapshotId: "snap-no-volume",
            State: "completed",
            StartTime: ago(1),
            Encrypted: false,
            Tags: managed(),
          },
        ],
      }),
      dbSnapshots: () => ({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: "db-first",
            DBInstanceIdentifier: "db-1",
            Status: "available",
            SnapshotCreateTime: since,
            TagList: managed(),
          },
          {
            DBSnapshotIdentifier: "db-expired",
            DBInstanceIdentifier: "db-1",
            Status: "available",
            SnapshotCreateTime: new Date(since.getTime() - 1),
            TagList: managed(),
          },
          {
            DBSnapshotIdentifier: "db-foreign",
            DBInstanceIdentifier: "db-1",
            Status: "available",
            SnapshotCreateTime: ago(1),
            TagList: [],
          },
          {
            DBInstanceIdentifier: "db-1",
            Status: "available",
            SnapshotCreateTime: ago(1),
            TagList: managed(),
          },
        ],
      }),
    });
    assert.deepEqual(
      c.findings.map((f) => `${f.severity} ${f.resource}: ${f.message}`),
      [
        "WARNING snap-first (vol-1): EBS snapshot is not encrypted",
        "WARNING snap-no-volume (unknown volume): EBS snapshot is not encrypted",
        "WARNING db-first (db-1): DB snapshot is not encrypted",
      ],
    );
    assert.equal(c.checkedResources, 4, "3 snapshots and the bucket");
  });

  it("must report each weakness of the backup bucket with its severity", async () => {
    const { check: weak } = await check({
      s3: {
        GetBucketVersioningCommand: () => ({ Status: "Suspended" }),
        GetBucketEncryptionCommand: () => ({ ServerSideEncryptionConfiguration: { Rules: [] } }),
        GetPublicAccessBlockCommand: () => ({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: false,
          },
        }),
      },
    });
    assert.deepEqual(
      bucketFindings(weak).map((f) => `${f.severity} ${f.message}`),
      [
        "WARNING Backup bucket versioning is not enabled",
        "WARNING Backup bucket has no default encryption",
        "CRITICAL Backup bucket does not block all public access",
      ],
    );
    for (const missing of ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy"]) {
      const { check: c } = await check({
        s3: {
          GetPublicAccessBlockCommand: () => ({
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: true,
              RestrictPublicBuckets: true,
              [missing]: false,
            },
          }),
        },
      });
      assert.deepEqual(
        bucketFindings(c).map((f) => [missing, f.message]),
        [[missing, "Backup bucket does not block all public access"]],
      );
    }
    const { check: bare } = await check({
      s3: { GetBucketEncryptionCommand: () => ({}), GetPublicAccessBlockCommand: () => ({}) },
    });
    assert.deepEqual(
      bucketFindings(bare).map((f) => `${f.severity} ${f.message}`),
      [
        "WARNING Backup bucket has no default encryption",
        "CRITICAL Backup bucket does not block all public access",
      ],
    );
  });

  it("must tell a bucket without a configuration from one whose configuration cannot be read", async () => {
    const { check: absent } = await check({
      s3: {
        GetBucketEncryptionCommand: fail(awsError("ServerSideEncryptionConfigurationNotFoundError", 404)),
        GetPublicAccessBlockCommand: fail(awsError("NoSuchPublicAccessBlockConfiguration", 404)),
      },
    });
    assert.deepEqual(
      bucketFindings(absent).map((f) => `${f.severity} ${f.message}`),
      [
        "WARNING Backup bucket has no default encryption",
        "CRITICAL Backup bucket has no public access block",
      ],
    );
    const { check: unreadable } = await check({
      s3: {
        GetBucketEncryptionCommand: fail(awsError("AccessDenied", 403, "Access Denied")),
        GetPublicAccessBlockCommand: fail(awsError("AccessDenied", 403, "Access Denied")),
      },
    });
    assert.deepEqual(
      bucketFindings(unreadable).map((f) => `${f.severity} ${f.message}`),
      [
        "WARNING Backup bucket encryption unknown: Access Denied",
        "CRITICAL Backup bucket public access block unknown: Access Denied",
      ],
    );
    const { check: closed, sent } = await check({
      s3: { GetBucketVersioningCommand: fail(awsError("AccessDenied", 403, "Access Denied")) },
    });
    assert.deepEqual(closed.findings, [
      {
        severity: "CRITICAL",
        resource: `s3://${BACKUP_BUCKET}`,
        message: "Backup bucket cannot be read: Access Denied",
      },
    ]);
    assert.deepEqual(
      sent.s3.map((s) => s.command),
      ["GetBucketVersioningCommand"],
      "nothing more asked of a bucket that cannot be read",
    );
    assert.equal(closed.status, "FAILED");
  });

  it("must name a check step that could not run, and run the others", async () => {
    const { check: c } = await check({
      snapshots: fail(new Error("EC2 unreachable")),
      dbSnapshots: () => ({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: "db-a",
            DBInstanceIdentifier: "db-1",
            Status: "available",
            SnapshotCreateTime: ago(1),
            TagList: managed(),
          },
        ],
      }),
    });
    assert.deepEqual(c.findings, [
      { severity: "CRITICAL", resource: "EBS snapshots", message: "Check could not run: EC2 unreachable" },
      { severity: "WARNING", resource: "db-a (db-1)", message: "DB snapshot is not encrypted" },
    ]);
    assert.equal(c.status, "FAILED");
  });

  it("must name the RDS step when it could not run, after the EBS findings", async () => {
    const { check: c } = await check({
      snapshots: () => ({
        Snapshots: [
          { SnapshotId: "snap-a", VolumeId: "vol-1", State: "completed", StartTime: ago(1), Tags: managed() },
        ],
      }),
      dbSnapshots: fail(new Error("RDS unreachable")),
    });
    assert.deepEqual(c.findings, [
      { severity: "WARNING", resource: "snap-a (vol-1)", message: "EBS snapshot is not encrypted" },
      { severity: "CRITICAL", resource: "RDS snapshots", message: "Check could not run: RDS unreachable" },
    ]);
  });

  it("must not look at a backup bucket when none is configured", async () => {
    const { check: c, sent } = await check({ settings: { backupBucket: undefined }, sources: ["app-data"] });
    assert.deepEqual(c.findings, []);
    assert.deepEqual(sent.s3, [], "no S3 request");
    assert.equal(c.checkedResources, 0);
    assert.equal(c.status, "SUCCEEDED");
  });

  describe("S3 backups", () => {
    const SOURCE = "app-data";
    /** Lists `objects` for the source bucket, `copies` under its prefix in the backup bucket. */
    const listings =
      (objects: [string, number, string][], copies: [string, number, string][]): Answer =>
      (input) => {
        const rows =
          input.Bucket === SOURCE
            ? objects
            : copies.map(([k, s, e]): [string, number, string] => [`${SOURCE}/${k}`, s, e]);
        return { Contents: rows.map(([Key, Size, ETag]) => ({ Key, Size, ETag })), IsTruncated: false };
      };
    const md5 = (n: number) => `"${n.toString(16).padStart(32, "0")}"`;

    it("must report missing copies and copies that no longer match, the first three of each named", async () => {
      const { check: c } = await check({
        sources: [SOURCE],
        s3: {
          ListObjectsV2Command: listings(
            [
              ["a", 1, md5(1)],
              ["b", 2, md5(2)],
              ["c", 3, md5(3)],
              ["d", 4, md5(4)],
              ["e", 5, md5(5)],
              ["f", 6, md5(6)],
              ["g", 7, md5(7)],
              ["h", 8, md5(8)],
              ["i", 9, md5(9)],
            ],
            [
              ["a", 1, md5(1)],
              ["b", 20, md5(2)],
              ["c", 30, md5(3)],
              ["d", 40, md5(4)],
              ["e", 50, md5(5)],
            ],
          ),
        },
      });
      assert.deepEqual(c.findings, [
        {
          severity: "WARNING",
          resource: `s3://${SOURCE}`,
          message: "4 of 9 objects missing from the backup (e.g. f, g, h)",
        },
        {
          severity: "WARNING",
          resource: `s3://${SOURCE}`,
          message: "4 of 9 objects no longer match their backup copy (e.g. b, c, d)",
        },
      ]);
      assert.equal(c.checkedResources, 2, "the backup bucket and the source bucket");
      assert.equal(c.status, "WARNING");
    });

    it("must name the first three copies it cannot verify, and count them all", async () => {
      const multipart = (n: number) => `"${n.toString(16).padStart(32, "0")}-2"`;
      const { check: c } = await check({
        sources: [SOURCE],
        s3: {
          ListObjectsV2Command: listings(
            [
              ["p", 1, multipart(1)],
              ["q", 1, multipart(2)],
              ["r", 1, multipart(3)],
              ["s", 1, multipart(4)],
            ],
            [
              ["p", 1, md5(1)],
              ["q", 1, md5(2)],
              ["r", 1, md5(3)],
              ["s", 1, md5(4)],
            ],
          ),
          HeadObjectCommand: () => ({ ETag: md5(9), Metadata: {} }),
        },
      });
      assert.equal(c.findings.length, 1);
      assert.ok(
        c.findings[0]!.message.startsWith(
          "4 of 4 objects could not be verified against their backup copy (e.g. p, q, r): ",
        ),
        c.findings[0]!.message,
      );
    });

    it("must report a comparison that failed as CRITICAL, naming the source bucket", async () => {
      const { check: c } = await check({
        sources: [SOURCE],
        s3: { ListObjectsV2Command: fail(awsError("AccessDenied", 403, "Access Denied")) },
      });
      assert.equal(c.findings.length, 1);
      const [finding] = c.findings;
      assert.equal(finding!.severity, "CRITICAL");
      assert.equal(finding!.resource, `s3://${SOURCE}`);
      assert.ok(finding!.message.startsWith("Backup could not be compared: "), finding!.message);
      assert.ok(
        finding!.message.includes(`"${SOURCE}"`) && finding!.message.includes("Access Denied"),
        finding!.message,
      );
      assert.equal(c.status, "FAILED");
    });

    it("must publish an ended S3 Batch Operations job's result, report each part it could not deliver, and compare the bucket", async () => {
      const record = {
        version: 1,
        jobId: "job-batch-2",
        accountId: "123456789012",
        runJobId: "01JRUN",
        sourceBucket: SOURCE,
        startedAt: "2026-11-30T05:00:00.000Z",
        objects: 2,
        etagsKey: "etags",
        reportPrefix: "reports",
      };
      const history = new MemoryHistory();
      history.put = async () => {
        throw new Error("history table unreachable");
      };
      const published: DroxEvent[] = [];
      const { check: c } = await check({
        sources: [SOURCE],
        history,
        publish: async (event) => {
          published.push(event);
          throw new Error("topic gone");
        },
        s3: {
          GetObjectCommand: (input) => {
            if (!String(input.Key).endsWith("/job.json")) throw awsError("NoSuchKey", 404);
            return { Body: { transformToString: async () => JSON.stringify(record) } };
          },
          PutObjectCommand: () => ({ ETag: md5(1) }),
          ListObjectsV2Command: listings([["a", 1, md5(1)]], []),
        },
        s3Control: {
          DescribeJobCommand: () => ({
            Job: {
              Status: "Complete",
              ProgressSummary: { NumberOfTasksSucceeded: 0, NumberOfTasksFailed: 0, TotalNumberOfTasks: 2 },
            },
          }),
        },
      });
      assert.deepEqual(
        published.map((e) => (e.schema === "backup.result.v1" ? [e.type, e.resource, e.status] : [])),
        [["S3", SOURCE, "SUCCEEDED"]],
      );
      const jobId = published[0]?.schema === "backup.result.v1" ? published[0].jobId : "";
      assert.deepEqual(
        c.findings.map((f) => `${f.severity} ${f.resource}: ${f.message}`),
        [
          `WARNING s3://${SOURCE}: The S3 Batch Operations job's final result could not be delivered: history ${jobId}: history table unreachable`,
          `WARNING s3://${SOURCE}: The S3 Batch Operations job's final result could not be delivered: publish backup.result.v1: topic gone`,
          `WARNING s3://${SOURCE}: 1 of 1 objects missing from the backup (e.g. a)`,
        ],
      );
    });

    it("must not compare a bucket whose S3 Batch Operations copy job is still running, and say so", async () => {
      const record = {
        version: 1,
        jobId: "job-batch-1",
        accountId: "123456789012",
        runJobId: "01JRUN",
        sourceBucket: SOURCE,
        startedAt: "2026-11-30T05:00:00.000Z",
        objects: 2000,
        etagsKey: "etags",
        reportPrefix: "reports",
      };
      const { check: c, sent } = await check({
        sources: [SOURCE],
        s3: {
          GetObjectCommand: () => ({ Body: { transformToString: async () => JSON.stringify(record) } }),
        },
        s3Control: {
          DescribeJobCommand: () => ({
            Job: {
              Status: "Active",
              ProgressSummary: {
                NumberOfTasksSucceeded: 300,
                NumberOfTasksFailed: 10,
                TotalNumberOfTasks: 2000,
              },
            },
          }),
        },
      });
      assert.deepEqual(c.findings, [
        {
          severity: "WARNING",
          resource: `s3://${SOURCE}`,
          message:
            "S3 Batch Operations job job-batch-1 (started 2026-11-30T05:00:00.000Z by run 01JRUN) is Active, 310 of 2000 objects done: in progress; the bucket is synced again once it has ended",
        },
      ]);
      assert.equal(sent.s3.filter((s) => s.command === "ListObjectsV2Command").length, 0);
    });
  });

  describe("with DR_REGION", () => {
    const dr = { drRegion: DR_REGION, jobTimeoutSeconds: 7200 };
    const own = (id: string, hoursAgo: number, State: SnapshotState = "completed"): Snapshot => ({
      SnapshotId: id,
      VolumeId: "vol-1",
      State,
      StartTime: ago(hoursAgo),
      Encrypted: true,
      Tags: managed(),
    });
    const copyOf = (
      id: string,
      of: string,
      State: SnapshotState = "completed",
      extra: Partial<Snapshot> = {},
    ): Snapshot => ({
      SnapshotId: id,
      VolumeId: "vol-ffffffff",
      State,
      StartTime: ago(1),
      Encrypted: true,
      Tags: managed({ Key: SOURCE_TAG, Value: "vol-1" }, { Key: COPY_OF_TAG, Value: of }),
      ...extra,
    });

    it("must want a copy of every completed own snapshot once JOB_TIMEOUT_SECONDS have passed, within both retentions", async () => {
      const { check: c } = await check({
        settings: { ...dr, retentionDays: 7, drRetentionDays: 3 },
        snapshots: () => ({
          Snapshots: [
            own("snap-copied", 10),
            own("snap-lost", 10),
            own("snap-due", 2),
            own("snap-recent", 2 - 0.01),
            own("snap-pending", 10, "pending"),
            own("snap-kept", 3 * 24),
            own("snap-expired-there", 3 * 24 + 0.01),
          ],
        }),
        drSnapshots: [copyOf("snap-c1", "us-east-1/snap-copied")],
        dbSnapshots: () => ({
          DBSnapshots: [
            {
              DBSnapshotIdentifier: "db-lost",
              DBSnapshotArn: "arn:aws:rds:us-east-1:123456789012:snapshot:db-lost",
              DBInstanceIdentifier: "db-1",
              Status: "available",
              SnapshotCreateTime: ago(10),
              Encrypted: true,
              TagList: managed(),
            },
            {
              DBSnapshotIdentifier: "db-copied",
              DBSnapshotArn: "arn:aws:rds:us-east-1:123456789012:snapshot:db-copied",
              DBInstanceIdentifier: "db-1",
              Status: "available",
              SnapshotCreateTime: ago(10),
              Encrypted: true,
              TagList: managed(),
            },
          ],
        }),
        drDbSnapshots: [
          {
            DBSnapshotIdentifier: "db-c1",
            DBInstanceIdentifier: "db-1",
            Status: "available",
            SnapshotCreateTime: ago(1),
            Encrypted: true,
            TagList: managed({
              Key: COPY_OF_TAG,
              Value: "arn:aws:rds:us-east-1:123456789012:snapshot:db-copied",
            }),
          },
        ],
      });
      assert.deepEqual(
        c.findings.map((f) => `${f.resource}: ${f.message}`),
        [
          `snap-lost (vol-1): EBS snapshot has no copy in the DR region ${DR_REGION}`,
          `snap-due (vol-1): EBS snapshot has no copy in the DR region ${DR_REGION}`,
          `snap-kept (vol-1): EBS snapshot has no copy in the DR region ${DR_REGION}`,
          `db-lost (db-1): DB snapshot has no copy in the DR region ${DR_REGION}`,
        ],
      );
      assert.equal(c.checkedResources, 7 + 2 + 1 + 1 + 1, "own snapshots, DR copies, the bucket");
    });

    it("must name the DR copies by the EC2 client's region when the settings name none", async () => {
      const { check: c } = await check({
        settings: { ...dr, region: undefined },
        snapshots: () => ({ Snapshots: [own("snap-copied", 10), own("snap-lost", 10)] }),
        drSnapshots: [copyOf("snap-c1", "us-east-1/snap-copied")],
      });
      assert.deepEqual(
        c.findings.map((f) => `${f.resource}: ${f.message}`),
        [`snap-lost (vol-1): EBS snapshot has no copy in the DR region ${DR_REGION}`],
      );
    });

    it("must check a DR region only when DR_REGION is set and both of its clients are given", async () => {
      const lost = { snapshots: () => ({ Snapshots: [own("snap-lost", 10)] }) };
      for (const world of [
        { settings: { ...dr, drRegion: undefined }, drClients: ["drEc2", "drRds"] },
        { settings: dr, drClients: ["drEc2"] },
        { settings: dr, drClients: ["drRds"] },
        { settings: dr, drClients: [] },
      ] as const) {
        const { check: c, sent } = await check({ ...lost, ...world });
        assert.deepEqual(c.findings, [], JSON.stringify(world));
        assert.deepEqual([...sent.drEc2, ...sent.drRds], [], JSON.stringify(world));
      }
      const both = await check({ ...lost, settings: dr });
      assert.deepEqual(
        both.check.findings.map((f) => `${f.resource}: ${f.message}`),
        [`snap-lost (vol-1): EBS snapshot has no copy in the DR region ${DR_REGION}`],
      );
    });

    it("must name the DR step that could not run", async () => {
      const { check: c } = await check({ settings: dr, drFails: new Error("region disabled") });
      assert.deepEqual(c.findings, [
        {
          severity: "CRITICAL",
          resource: `EBS snapshots in ${DR_REGION}`,
          message: "Check could not run: region disabled",
        },
        {
          severity: "CRITICAL",
          resource: `RDS snapshots in ${DR_REGION}`,
          message: "Check could not run: region disabled",
        },
      ]);
    });

    it("must judge the DR copies as its own snapshots, naming the region", async () => {
      const { check: c } = await check({
        settings: dr,
        drSnapshots: [
          copyOf("snap-c1", "us-east-1/snap-1", "error", { StateMessage: "KMS key disabled" }),
          copyOf("snap-c2", "us-east-1/snap-2", "pending", { StartTime: ago(30), Encrypted: false }),
        ],
        drDbSnapshots: [
          {
            DBSnapshotIdentifier: "db-c1",
            DBInstanceIdentifier: "db-1",
            Status: "failed",
            SnapshotCreateTime: ago(1),
            Encrypted: true,
            TagList: managed(),
          },
          {
            DBSnapshotIdentifier: "db-c2",
            DBInstanceIdentifier: "db-1",
            Status: "copying",
            SnapshotCreateTime: ago(30),
            Encrypted: false,
            TagList: managed(),
          },
        ],
      });
      assert.deepEqual(
        c.findings.map((f) => `${f.severity} ${f.resource}: ${f.message}`),
        [
          `CRITICAL snap-c1 (vol-1) in ${DR_REGION}: EBS DR copy failed: KMS key disabled`,
          `WARNING snap-c2 (vol-1) in ${DR_REGION}: EBS snapshot DR copy is still pending after 30 h, not completed`,
          `WARNING snap-c2 (vol-1) in ${DR_REGION}: EBS DR copy is not encrypted`,
          `CRITICAL db-c1 (db-1) in ${DR_REGION}: DB snapshot DR copy is failed`,
          `WARNING db-c2 (db-1) in ${DR_REGION}: DB snapshot DR copy is still copying after 30 h, not available`,
          `WARNING db-c2 (db-1) in ${DR_REGION}: DB snapshot DR copy is not encrypted`,
        ],
      );
    });
  });

  describe("follow-ups", () => {
    const pendingResult = (jobId: string, type: "EBS" | "RDS"): BackupResult => ({
      schema: "backup.result.v1",
      jobId,
      type,
      resource: type === "EBS" ? "vol-1" : "db-1",
      status: "WARNING",
      startedAt: ago(30).toISOString(),
      finishedAt: ago(29).toISOString(),
      durationSeconds: 3600,
      error: { code: "SnapshotPending", message: "still pending" },
    });

    it("must follow up a pending snapshot now completed, or now failed, and report a follow-up it could not deliver", async () => {
      const history = new MemoryHistory();
      await history.put(pendingResult("job-ebs", "EBS"));
      await history.put(pendingResult("job-rds", "RDS"));
      await history.put(pendingResult("job-rds-failed", "RDS"));
      await history.put(pendingResult("job-rds-creating", "RDS"));
      const published: DroxEvent[] = [];
      const { check: c } = await check({
        history,
        snapshots: () => ({
          Snapshots: [
            {
              SnapshotId: "snap-1",
              VolumeId: "vol-1",
              State: "error",
              StartTime: ago(30),
              Encrypted: true,
              Tags: managed({ Key: JOB_ID_TAG, Value: "job-ebs" }),
            },
          ],
        }),
        dbSnapshots: () => ({
          DBSnapshots: [
            {
              DBSnapshotIdentifier: "db-b",
              DBInstanceIdentifier: "db-2",
              Status: "failed",
              SnapshotCreateTime: ago(30),
              Encrypted: true,
              TagList: managed({ Key: JOB_ID_TAG, Value: "job-rds-failed" }),
            },
            {
              DBSnapshotIdentifier: "db-c",
              DBInstanceIdentifier: "db-3",
              Status: "creating",
              SnapshotCreateTime: ago(1),
              Encrypted: true,
              TagList: managed({ Key: JOB_ID_TAG, Value: "job-rds-creating" }),
            },
            {
              DBSnapshotIdentifier: "db-a",
              DBInstanceIdentifier: "db-1",
              Status: "available",
              SnapshotCreateTime: ago(30),
              Encrypted: true,
              TagList: managed({ Key: JOB_ID_TAG, Value: "job-rds" }),
            },
          ],
        }),
        publish: async (event) => {
          published.push(event);
          if (published.length === 3) throw new Error("topic gone");
          return "message-id";
        },
      });
      assert.deepEqual(
        published.map((e) => (e.schema === "backup.result.v1" ? [e.jobId, e.status, e.error?.code] : [])),
        [
          ["job-ebs.done", "FAILED", "SnapshotFailed"],
          ["job-rds-failed.done", "FAILED", "SnapshotFailed"],
          ["job-rds.done", "SUCCEEDED", undefined],
        ],
        "the snapshot still being created waits",
      );
      assert.deepEqual(
        published.map((e) => (e.schema === "backup.result.v1" ? e.error?.message : "")),
        ["state error", "DB snapshot failed", undefined],
      );
      assert.deepEqual(c.findings.at(-1), {
        severity: "WARNING",
        resource: "follow-ups",
        message: "Follow-up not delivered: publish backup.result.v1: topic gone",
      });
    });

    it("must report a history it cannot read as follow-ups not delivered, for pending snapshots and DR copies alike", async () => {
      const history = new MemoryHistory();
      history.get = async () => {
        throw new Error("history table unreachable");
      };
      const { check: c } = await check({
        history,
        settings: { drRegion: DR_REGION },
        snapshots: () => ({
          Snapshots: [
            {
              SnapshotId: "snap-1",
              VolumeId: "vol-1",
              State: "completed",
              StartTime: ago(1),
              Encrypted: true,
              Tags: managed({ Key: JOB_ID_TAG, Value: "job-ebs" }),
            },
          ],
        }),
        drSnapshots: [
          {
            SnapshotId: "snap-c1",
            VolumeId: "vol-1",
            State: "completed",
            StartTime: ago(1),
            Encrypted: true,
            Tags: managed({ Key: JOB_ID_TAG, Value: "job-ebs" }),
          },
        ],
      });
      assert.deepEqual(
        c.findings.filter((f) => f.resource === "follow-ups").map((f) => f.message),
        [
          "Follow-up not delivered: history table unreachable",
          "Follow-up not delivered: history table unreachable",
        ],
      );
    });
  });
});

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
