/**
 * S3 backups: one `syncBucket` run (runtime/jobs/s3-sync.ts) per source bucket, into the backup
 * bucket under `<source>/`. Some objects failing is WARNING (the rest is backed up); a bucket that
 * cannot be listed at all, or a run cut off by JOB_TIMEOUT_SECONDS, is FAILED. With
 * S3_BATCH_ROLE_ARN, what is beyond S3_BATCH_THRESHOLD objects to copy goes to an S3 Batch
 * Operations job (./s3-batch.ts): WARNING `BatchCopyInProgress` now, the final result from the
 * follow-up that finds the job ended.
 */
import type { S3ControlClient } from "@aws-sdk/client-s3-control";
import { ulid } from "ulid";
import { s3ClientForBucket } from "../aws/clients";
import type { BackupResult } from "../contract/events";
import { abortedOutcome, ABORTED_CODE } from "./abort";
import type { JobDeps } from "./context";
import { awsErrorCode, finishRun, messageOf, startRun, type JobIdFor, type RunClock } from "./result";
import { createS3ControlClient, followUpBatchCopy, startBatchCopy, type BatchFollowUp } from "./s3-batch";
import { BATCH_COPY_MAX_BYTES, BatchManifest } from "./s3-batch-files";
import { syncBucket, type S3SyncProgress } from "./s3-sync";

export interface S3ProgressEvent extends S3SyncProgress {
  readonly bucket: string;
}

/**
 * Objects above this are copied in parts, not with one CopyObject (which S3 allows up to 5 GiB).
 *
 * Every AWS request has a 30 s timeout (runtime/aws/clients.ts) so a stuck socket cannot hang a
 * job. One CopyObject of a 5 GiB object would have to run at ~170 MiB/s to fit in it, which real
 * S3 does not promise (the copy happens server-side within the one request). Rather than exempt
 * copies from the timeout, large objects go through UploadPartCopy in 256 MiB parts: each part
 * needs only ~9 MiB/s to finish in 30 s, the parts of one object run 8 at once (faster overall),
 * and a timed-out part is retried alone by the SDK instead of restarting 5 GiB. The price: a copy
 * made in parts costs a HEAD and a GetObjectTagging of its source first (UploadPartCopy copies
 * bytes only), and gets a multipart ETag; like every copy its pair of ETags is recorded, and it
 * also carries the source's ETag in its metadata (runtime/jobs/s3-copy.ts).
 */
export const S3_JOB_MULTIPART_THRESHOLD = 1024 ** 3;
export const S3_JOB_PART_SIZE = 256 * 1024 ** 2;

export interface S3Options {
  readonly onProgress?: (progress: S3ProgressEvent) => void;
  /** @default S3_JOB_MULTIPART_THRESHOLD */
  readonly multipartThresholdBytes?: number;
  /** @default S3_JOB_PART_SIZE */
  readonly partSizeBytes?: number;
  /** Aborts the sync in progress; buckets not yet started end FAILED without starting. */
  readonly signal?: AbortSignal;
  /** Job ids allocated in advance per source bucket; a fresh ULID otherwise. */
  readonly jobIdFor?: JobIdFor;
}

const FAILURES_IN_MESSAGE = 5;

function listFailures(failures: readonly { key: string; message: string }[], count: number): string {
  const shown = failures
    .slice(0, FAILURES_IN_MESSAGE)
    .map((f) => `${f.key}: ${f.message}`)
    .join("; ");
  const more = count > FAILURES_IN_MESSAGE ? ` (and ${count - FAILURES_IN_MESSAGE} more)` : "";
  return `${shown}${more}`;
}

/** The S3 Control client of a run, created once if the deps bring none. */
function controlOf(deps: JobDeps): () => S3ControlClient {
  let created: S3ControlClient | undefined;
  return () => deps.s3Control ?? (created ??= createS3ControlClient(deps.settings.region));
}

/**
 * The result a follow-up publishes: the job still running (WARNING, the bucket's sync waits), or
 * its final result, under a job id of its own (the in-progress result keeps the run's).
 */
export function batchFollowUpResult(
  deps: JobDeps,
  bucket: string,
  follow: BatchFollowUp,
): BackupResult | undefined {
  if (follow.state === "none") return undefined;
  const { record } = follow;
  const job = `S3 Batch Operations job ${record.jobId} (started ${record.startedAt} by run ${record.runJobId})`;
  if (follow.state === "running") {
    return finishRun(startRun(deps.now()), "S3", bucket, deps.now(), {
      status: "WARNING",
      error: {
        message: `${job} is ${follow.status}, ${follow.done} of ${record.objects} objects done: in progress; the bucket is synced again once it has ended`,
        code: "BatchCopyInProgress",
      },
    });
  }
  const clock: RunClock = { jobId: ulid(deps.now().getTime()), startedAt: new Date(record.startedAt) };
  const metrics = { filesCopied: follow.succeeded, filesTotal: follow.total, filesFailed: follow.failed };
  const summary = `${job} ${follow.status}: ${follow.succeeded} of ${follow.total} objects copied`;
  const reasons = follow.reasons.length > 0 ? ` (${follow.reasons.join("; ")})` : "";
  if (follow.failed === 0 && follow.status === "Complete") {
    return finishRun(clock, "S3", bucket, deps.now(), { status: "SUCCEEDED", metrics });
  }
  const failed =
    follow.failed > 0 ? `, ${follow.failed} failed: ${listFailures(follow.failures, follow.failed)}` : "";
  return finishRun(clock, "S3", bucket, deps.now(), {
    status: follow.succeeded === 0 ? "FAILED" : "WARNING",
    metrics,
    error: {
      message: `${summary}${failed}${reasons}`,
      code: follow.succeeded === 0 ? "BatchJobFailed" : "ObjectsNotCopied",
    },
  });
}

/** The follow-up of the bucket's last job; a job that cannot be read is a WARNING, not a stop. */
export async function followUpS3Batch(
  deps: JobDeps,
  backupBucket: string,
  bucket: string,
  control: () => S3ControlClient = controlOf(deps),
): Promise<{ result?: BackupResult; running: boolean }> {
  try {
    const follow = await followUpBatchCopy({
      s3: deps.s3,
      control,
      backupBucket,
      prefix: `${bucket}/`,
      now: deps.now(),
    });
    return { result: batchFollowUpResult(deps, bucket, follow), running: follow.state === "running" };
  } catch (error) {
    return {
      running: false,
      result: finishRun(startRun(deps.now()), "S3", bucket, deps.now(), {
        status: "WARNING",
        error: {
          message: `The last S3 Batch Operations job of this bucket could not be followed up: ${messageOf(error)}`,
          code: awsErrorCode(error) ?? "BatchJobUnreadable",
        },
      }),
    };
  }
}

export async function backupS3Buckets(
  deps: JobDeps,
  backupBucket: string,
  sourceBuckets: readonly string[],
  options: S3Options = {},
): Promise<BackupResult[]> {
  const results: BackupResult[] = [];
  const control = controlOf(deps);
  const { s3BatchRoleArn: roleArn, s3BatchThreshold } = deps.settings;
  // Buckets one after another: each sync already runs S3_SYNC_CONCURRENCY copies at once.
  for (const bucket of sourceBuckets) {
    const clock = startRun(deps.now(), options.jobIdFor?.(bucket));
    const { signal } = options;
    if (signal?.aborted) {
      results.push(
        finishRun(clock, "S3", bucket, deps.now(), abortedOutcome(signal, "before the sync started")),
      );
      continue;
    }
    const followUp = await followUpS3Batch(deps, backupBucket, bucket, control);
    if (followUp.result) results.push(followUp.result);
    if (followUp.running) continue;
    const timeout = AbortSignal.timeout(deps.settings.jobTimeoutSeconds * 1000);
    const sourceS3 = await s3ClientForBucket(deps.s3, bucket);
    // Batch Operations runs in the backup bucket's region: a source elsewhere is copied here.
    const manifest =
      roleArn !== undefined && sourceS3 === deps.s3 ? await BatchManifest.create(bucket) : undefined;
    const listedAt = new Date();
    try {
      const sync = await syncBucket({
        s3: deps.s3,
        sourceS3,
        sourceBucket: bucket,
        backupBucket,
        concurrency: deps.settings.s3SyncConcurrency,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        multipartThresholdBytes: options.multipartThresholdBytes ?? S3_JOB_MULTIPART_THRESHOLD,
        partSizeBytes: options.partSizeBytes ?? S3_JOB_PART_SIZE,
        // Stryker disable next-line OptionalChaining: called only when onProgress was given
        onProgress: options.onProgress ? (p) => options.onProgress?.({ ...p, bucket }) : undefined,
        ...(manifest
          ? {
              handOff: {
                after: s3BatchThreshold,
                maxBytes: BATCH_COPY_MAX_BYTES,
                add: (source) => manifest.add(source),
              },
            }
          : {}),
      });
      const metrics = {
        filesCopied: sync.filesCopied,
        filesTotal: sync.filesTotal,
        filesFailed: sync.filesFailed,
        sizeBytes: sync.sizeBytes,
        bytesCopied: sync.bytesCopied,
      };
      const notCopied =
        sync.filesFailed > 0
          ? `${sync.filesFailed} of ${sync.filesTotal} objects could not be copied: ${listFailures(sync.failures, sync.filesFailed)}`
          : "";
      if (manifest && sync.filesHandedOff > 0) {
        let message: string;
        let code: string;
        let failed = sync.filesFailed;
        try {
          const job = await startBatchCopy({
            s3: deps.s3,
            control: control(),
            // Stryker disable next-line StringLiteral: a manifest exists only when roleArn is set
            roleArn: roleArn ?? "",
            sourceBucket: bucket,
            backupBucket,
            prefix: `${bucket}/`,
            runJobId: clock.jobId,
            manifest,
            listedAt,
            now: clock.startedAt,
          });
          code = "BatchCopyInProgress";
          message = `${sync.filesCopied} objects copied by the task; ${sync.filesHandedOff} handed to S3 Batch Operations job ${job.jobId}, in progress: the final result follows with the next run or integrity check`;
        } catch (error) {
          failed += sync.filesHandedOff;
          code = "BatchJobNotStarted";
          message = `${sync.filesHandedOff} objects were not copied: the S3 Batch Operations job could not be started: ${messageOf(error)}`;
        }
        results.push(
          finishRun(clock, "S3", bucket, deps.now(), {
            status: "WARNING",
            metrics: { ...metrics, filesFailed: failed },
            error: { message: notCopied === "" ? message : `${message}. ${notCopied}`, code },
          }),
        );
      } else if (sync.filesFailed > 0) {
        results.push(
          finishRun(clock, "S3", bucket, deps.now(), {
            status: "WARNING",
            metrics,
            error: { message: notCopied, code: "ObjectsNotCopied" },
          }),
        );
      } else {
        results.push(finishRun(clock, "S3", bucket, deps.now(), { status: "SUCCEEDED", metrics }));
      }
    } catch (error) {
      const code = signal?.aborted
        ? ABORTED_CODE
        : (awsErrorCode(error) ??
          // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: syncBucket throws only its own named errors (DroxError, ConfigError), never a bare Error
          (error instanceof Error && error.name !== "Error" ? error.name : undefined));
      // syncBucket's own message says how far it got and why it was aborted.
      const message = signal?.aborted ? `Backup aborted: ${messageOf(error)}` : messageOf(error);
      results.push(
        finishRun(clock, "S3", bucket, deps.now(), {
          status: "FAILED",
          error: { message, ...(code ? { code } : {}) },
        }),
      );
    } finally {
      // A client of its own for a bucket in another region: its sockets go with the run.
      // Stryker disable next-line ConditionalExpression,EqualityOperator,CallExpression: destroy() only closes the other region's client's sockets, which no result shows
      if (sourceS3 !== deps.s3) sourceS3.destroy();
      await manifest?.discard();
    }
  }
  return results;
}
