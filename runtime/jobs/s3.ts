/**
 * S3 backups: one `syncBucket` run (runtime/jobs/s3-sync.ts) per source bucket, into the backup
 * bucket under `<source>/`. Some objects failing is WARNING (the rest is backed up); a bucket that
 * cannot be listed at all, or a run cut off by JOB_TIMEOUT_SECONDS, is FAILED.
 */
import { s3ClientForBucket } from "../aws/clients";
import type { BackupResult } from "../contract/events";
import { abortedOutcome, ABORTED_CODE } from "./abort";
import type { JobDeps } from "./context";
import { awsErrorCode, finishRun, messageOf, startRun, type JobIdFor } from "./result";
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
 * made in parts gets a multipart ETag, so it carries the source's ETag in its metadata and a re-sync
 * spends one HEAD on it (runtime/jobs/s3-copy.ts).
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

export async function backupS3Buckets(
  deps: JobDeps,
  backupBucket: string,
  sourceBuckets: readonly string[],
  options: S3Options = {},
): Promise<BackupResult[]> {
  const results: BackupResult[] = [];
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
    const timeout = AbortSignal.timeout(deps.settings.jobTimeoutSeconds * 1000);
    const sourceS3 = await s3ClientForBucket(deps.s3, bucket);
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
        onProgress: options.onProgress ? (p) => options.onProgress?.({ ...p, bucket }) : undefined,
      });
      const metrics = {
        filesCopied: sync.filesCopied,
        filesTotal: sync.filesTotal,
        filesFailed: sync.filesFailed,
        sizeBytes: sync.sizeBytes,
        bytesCopied: sync.bytesCopied,
      };
      if (sync.filesFailed > 0) {
        const shown = sync.failures
          .slice(0, FAILURES_IN_MESSAGE)
          .map((f) => `${f.key}: ${f.message}`)
          .join("; ");
        const more =
          sync.filesFailed > FAILURES_IN_MESSAGE
            ? ` (and ${sync.filesFailed - FAILURES_IN_MESSAGE} more)`
            : "";
        results.push(
          finishRun(clock, "S3", bucket, deps.now(), {
            status: "WARNING",
            metrics,
            error: {
              message: `${sync.filesFailed} of ${sync.filesTotal} objects could not be copied: ${shown}${more}`,
              code: "ObjectsNotCopied",
            },
          }),
        );
      } else {
        results.push(finishRun(clock, "S3", bucket, deps.now(), { status: "SUCCEEDED", metrics }));
      }
    } catch (error) {
      const code = signal?.aborted
        ? ABORTED_CODE
        : (awsErrorCode(error) ??
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
      if (sourceS3 !== deps.s3) sourceS3.destroy();
    }
  }
  return results;
}
