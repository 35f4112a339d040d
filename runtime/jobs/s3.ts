/**
 * S3 backups: one `syncBucket` run (runtime/jobs/s3-sync.ts) per source bucket, into the backup
 * bucket under `<source>/`. Some objects failing is WARNING (the rest is backed up); a bucket that
 * cannot be listed at all, or a run cut off by JOB_TIMEOUT_SECONDS, is FAILED.
 */
import type { BackupResult } from "../events";
import type { JobDeps } from "./context";
import { awsErrorCode, finishRun, messageOf, startRun } from "./result";
import { syncBucket, type S3SyncProgress } from "./s3-sync";

export interface S3ProgressEvent extends S3SyncProgress {
  readonly bucket: string;
}

export interface S3Options {
  readonly onProgress?: (progress: S3ProgressEvent) => void;
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
    const clock = startRun(deps.now());
    try {
      const sync = await syncBucket({
        s3: deps.s3,
        sourceBucket: bucket,
        backupBucket,
        concurrency: deps.settings.s3SyncConcurrency,
        signal: AbortSignal.timeout(deps.settings.jobTimeoutSeconds * 1000),
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
      const code =
        awsErrorCode(error) ?? (error instanceof Error && error.name !== "Error" ? error.name : undefined);
      results.push(
        finishRun(clock, "S3", bucket, deps.now(), {
          status: "FAILED",
          error: { message: messageOf(error), ...(code ? { code } : {}) },
        }),
      );
    }
  }
  return results;
}
