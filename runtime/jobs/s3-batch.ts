/**
 * S3 Batch Operations for runs with more to copy than one task should copy object by object.
 *
 * With S3_BATCH_ROLE_ARN set, above S3_BATCH_THRESHOLD new or resized objects in one run (the sync copies the first that many
 * itself), the rest go to a CSV manifest in the backup bucket and one S3PutObjectCopy job copies
 * them into `<source>/` with the role S3_BATCH_ROLE_ARN, writing a completion report of its failed
 * tasks. The job's id is recorded next to the manifest; the run's result is WARNING
 * `BatchCopyInProgress`. The follow-up — the next run of that bucket, or the integrity check —
 * reads the job (DescribeJob), and once it has ended its report, and publishes the final result:
 * objects copied, failed keys named. While a job runs, the bucket is not synced again (the job and
 * the sync would copy the same objects).
 *
 * Each copy is conditional on the source being unmodified since the listing
 * (UnModifiedSinceConstraint), so an object edited meanwhile fails its task and is copied by the
 * next run instead of being copied in a state the listing did not see. That makes the listed ETag
 * the copy's source, and the follow-up stores the pairs of ETags (./s3-etag-pairs.ts) for the
 * copies the job made: without them every copy into an SSE-KMS backup bucket would look changed.
 *
 * Request shapes: CreateJob https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html,
 * S3PutObjectCopy https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3CopyObjectOperation.html
 * ("to copy objects into a folder named Folder1 … set the TargetKeyPrefix property to Folder1"),
 * statuses https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobDescriptor.html.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  CreateJobCommand,
  DescribeJobCommand,
  S3ControlClient,
  type JobStatus,
} from "@aws-sdk/client-s3-control";
import { clientConfig } from "../aws/clients";
import { loadEtagPairs, storeEtagPairs } from "./s3-etag-pairs";
import { BatchManifest, handedOffObjects, readFailedTasks, type FailedTask } from "./s3-batch-files";
import { isS3ErrorCode } from "./s3-errors";
import { joinListings, listObjects } from "./s3-listing";

/** Failed keys kept from a report (the counts come from DescribeJob and are exact). */
export const MAX_FAILED_TASKS_KEPT = 1000;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\//;

/** CreateJob needs the account id: the role's. */
export function accountOf(roleArn: string): string {
  return ROLE_ARN.exec(roleArn)?.[1] ?? "";
}

export function createS3ControlClient(region?: string): S3ControlClient {
  return new S3ControlClient(clientConfig(region ? { region } : {}));
}

/** Where a source's jobs keep their files: outside every copy's prefix, like the pairs of ETags. */
export function batchKeys(prefix: string, runJobId: string) {
  const base = `.drox-backup/batch/${prefix}${runJobId}`;
  return {
    manifest: `${base}/manifest.csv`,
    etags: `${base}/etags.csv`,
    reportPrefix: `${base}/report`,
  };
}

export function batchRecordKey(prefix: string): string {
  return `.drox-backup/batch/${prefix}job.json`;
}

export interface BatchJobRecord {
  readonly version: 1;
  readonly jobId: string;
  readonly accountId: string;
  /** The run that started the job. */
  readonly runJobId: string;
  readonly sourceBucket: string;
  readonly startedAt: string;
  readonly objects: number;
  readonly etagsKey: string;
  readonly reportPrefix: string;
  /** Set once the final result is published. */
  readonly reportedAt?: string;
}

export interface StartBatchCopy {
  readonly s3: S3Client;
  readonly control: S3ControlClient;
  readonly roleArn: string;
  readonly sourceBucket: string;
  readonly backupBucket: string;
  /** The copies' prefix in the backup bucket, ending in `/`. */
  readonly prefix: string;
  readonly runJobId: string;
  readonly manifest: BatchManifest;
  /** When the listing started: a source modified since is not copied by the job. */
  readonly listedAt: Date;
  readonly now: Date;
  readonly signal?: AbortSignal;
}

export async function startBatchCopy(p: StartBatchCopy): Promise<BatchJobRecord> {
  const keys = batchKeys(p.prefix, p.runJobId);
  const etag = await p.manifest.upload(p.s3, p.backupBucket, keys, p.signal);
  const accountId = accountOf(p.roleArn);
  const out = await p.control.send(
    new CreateJobCommand({
      AccountId: accountId,
      // The run's job id: a retried request cannot start a second job.
      ClientRequestToken: p.runJobId,
      ConfirmationRequired: false,
      Description: `drox-backup ${p.sourceBucket}`.slice(0, 256),
      Priority: 10,
      RoleArn: p.roleArn,
      Operation: {
        S3PutObjectCopy: {
          TargetResource: `arn:aws:s3:::${p.backupBucket}`,
          TargetKeyPrefix: p.prefix.replace(/\/$/, ""),
          MetadataDirective: "COPY",
          UnModifiedSinceConstraint: p.listedAt,
        },
      },
      Manifest: {
        Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] },
        Location: { ObjectArn: `arn:aws:s3:::${p.backupBucket}/${keys.manifest}`, ETag: etag },
      },
      Report: {
        Enabled: true,
        Bucket: `arn:aws:s3:::${p.backupBucket}`,
        Prefix: keys.reportPrefix,
        Format: "Report_CSV_20180820",
        ReportScope: "FailedTasksOnly",
      },
    }),
    { abortSignal: p.signal },
  );
  if (!out.JobId) throw new Error("CreateJob returned no JobId");
  const record: BatchJobRecord = {
    version: 1,
    jobId: out.JobId,
    accountId,
    runJobId: p.runJobId,
    sourceBucket: p.sourceBucket,
    startedAt: p.now.toISOString(),
    objects: p.manifest.count,
    etagsKey: keys.etags,
    reportPrefix: keys.reportPrefix,
  };
  await writeRecord(p.s3, p.backupBucket, p.prefix, record);
  return record;
}

async function writeRecord(s3: S3Client, bucket: string, prefix: string, record: BatchJobRecord) {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: batchRecordKey(prefix),
      Body: JSON.stringify(record),
      ContentType: "application/json",
    }),
  );
}

async function readRecord(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<BatchJobRecord | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: batchRecordKey(prefix) }), {
      abortSignal: signal,
    });
    const parsed = JSON.parse((await out.Body?.transformToString("utf-8")) ?? "") as Partial<BatchJobRecord>;
    return parsed.version === 1 && typeof parsed.jobId === "string" ? (parsed as BatchJobRecord) : undefined;
  } catch (error) {
    if (isS3ErrorCode(error, "NoSuchKey", "NotFound")) return undefined;
    throw error;
  }
}

/** A job that has ended; every other status may still copy. */
const ENDED: readonly JobStatus[] = ["Complete", "Failed", "Cancelled"];

export type BatchFollowUp =
  | { readonly state: "none" }
  | {
      readonly state: "running";
      readonly record: BatchJobRecord;
      readonly status: string;
      readonly done: number;
    }
  | {
      readonly state: "ended";
      readonly record: BatchJobRecord;
      readonly status: string;
      readonly total: number;
      readonly succeeded: number;
      readonly failed: number;
      /** The first MAX_FAILED_TASKS_KEPT failed tasks, from the report. */
      readonly failures: readonly FailedTask[];
      /** Why the job itself failed, when it did (DescribeJob's FailureReasons). */
      readonly reasons: readonly string[];
    };

export interface FollowUpOptions {
  readonly s3: S3Client;
  readonly control: () => S3ControlClient;
  readonly backupBucket: string;
  readonly prefix: string;
  readonly now: Date;
  readonly signal?: AbortSignal;
}

/**
 * The state of the source's last job. An ended job is reported once: its pairs of ETags are
 * stored and its record marked, so the next follow-up answers "none".
 */
export async function followUpBatchCopy(o: FollowUpOptions): Promise<BatchFollowUp> {
  const record = await readRecord(o.s3, o.backupBucket, o.prefix, o.signal);
  if (!record || record.reportedAt !== undefined) return { state: "none" };
  const out = await o
    .control()
    .send(new DescribeJobCommand({ AccountId: record.accountId, JobId: record.jobId }), {
      abortSignal: o.signal,
    });
  const job = out.Job;
  const status = job?.Status ?? "Unknown";
  const progress = job?.ProgressSummary;
  const succeeded = progress?.NumberOfTasksSucceeded ?? 0;
  const failed = progress?.NumberOfTasksFailed ?? 0;
  if (!ENDED.includes(status as JobStatus)) {
    return { state: "running", record, status, done: succeeded + failed };
  }
  const failures =
    failed > 0
      ? await readFailedTasks(
          o.s3,
          o.backupBucket,
          record.reportPrefix,
          record.jobId,
          MAX_FAILED_TASKS_KEPT,
          o.signal,
        ).catch(() => [])
      : [];
  if (succeeded > 0) await storeJobPairs(o, record).catch(() => undefined);
  await writeRecord(o.s3, o.backupBucket, o.prefix, { ...record, reportedAt: o.now.toISOString() });
  return {
    state: "ended",
    record,
    status,
    total: progress?.TotalNumberOfTasks ?? record.objects,
    succeeded,
    failed,
    failures,
    // Stryker disable next-line OptionalChaining: without a job there is no status, and "Unknown" returned above as running
    reasons: (job?.FailureReasons ?? []).map((r) =>
      [r.FailureCode, r.FailureReason].filter(Boolean).join(": "),
    ),
  };
}

/**
 * Pairs of ETags for the job's copies. Only objects with no backup copy of their size were handed
 * to the job, so a backup object of the listed size under a handed-off key is the job's copy of the
 * listed version (unmodified since the listing, or its task failed and left no such object).
 */
async function storeJobPairs(o: FollowUpOptions, record: BatchJobRecord): Promise<void> {
  const pairs = await loadEtagPairs(o.s3, o.backupBucket, o.prefix, o.signal);
  const handedOff = handedOffObjects(o.s3, o.backupBucket, record.etagsKey, o.signal);
  const backup = listObjects({
    s3: o.s3,
    bucket: o.backupBucket,
    // Stryker disable next-line StringLiteral: the role only names the bucket in a listing's error, which the follow-up drops (.catch above)
    role: "backup",
    prefix: o.prefix,
    signal: o.signal,
  });
  for await (const { source, backup: copy } of joinListings(handedOff, backup)) {
    if (copy && copy.size === source.size) pairs.record(copy.etag, source.etag);
  }
  const toStore = pairs.toStore(false);
  if (toStore) await storeEtagPairs(o.s3, o.backupBucket, o.prefix, toStore);
}
