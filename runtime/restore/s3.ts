/**
 * `restore s3`: a source bucket's backup (BACKUP_BUCKET/<source>/<key>, runtime/jobs/s3-sync.ts)
 * copied back server-side by the backup's own copy engine (runtime/jobs/s3-copy.ts), each object in
 * its version as of `--at` (./s3-versions.ts). Keys keep their names under the destination prefix.
 * An object already at the destination is never overwritten without `overwrite`: identical ones
 * are left as they are, different ones are refused and named. A dry run lists what would be copied
 * and copies nothing; it is not recorded. The backup bucket is only read.
 */
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { DroxError } from "../contract/errors";
import type { RestoreEvent } from "../contract/events";
import { S3_JOB_MULTIPART_THRESHOLD, S3_JOB_PART_SIZE, type S3ProgressEvent } from "../jobs/s3";
import { copyObject, isUpToDate, type CopyContext } from "../jobs/s3-copy";
import { EtagPairs } from "../jobs/s3-etag-pairs";
import { describeS3Error, formatS3Error } from "../jobs/s3-errors";
import { joinListings, listObjects, type ListedObject } from "../jobs/s3-listing";
import { forEachBounded } from "../jobs/s3-sync";
import { awsErrorCode, messageOf } from "../jobs/result";
import type { RestoreDeps } from "./context";
import { RestoreRefused } from "./errors";
import { finishRestore, startRestore, type RestoreOutcome, type RestoreSubject } from "./event";
import { recordRestore } from "./record";
import { versionsAt, type VersionCounts } from "./s3-versions";

/** Keys named in the event's message; the CLI prints every one. */
export const KEYS_IN_MESSAGE = 10;

export type S3RestoreAction = "copy" | "unchanged" | "refused" | "failed";

export interface S3RestoreItem {
  /** The key as it was in the source bucket (and now under the destination prefix). */
  readonly key: string;
  readonly versionId?: string;
  readonly size: number;
  readonly action: S3RestoreAction;
  readonly message?: string;
}

export interface S3RestoreRequest {
  readonly source: string;
  /** Only keys starting with this (as in the source bucket). */
  readonly prefix?: string;
  readonly at?: Date;
  /** `bucket` or `bucket/prefix`. */
  readonly to: string;
  readonly dryRun?: boolean;
  readonly overwrite?: boolean;
  readonly timeoutSeconds: number;
  readonly signal?: AbortSignal;
  readonly concurrency?: number;
  readonly multipartThresholdBytes?: number;
  readonly partSizeBytes?: number;
  readonly onProgress?: (progress: S3ProgressEvent) => void;
  /** Each object as it is decided (dry run: what would happen) or has failed. */
  readonly onItem?: (item: S3RestoreItem) => void;
}

export interface S3RestoreSummary {
  /** Objects whose version at the chosen time exists (not a delete marker). */
  readonly selected: number;
  readonly copied: number;
  readonly unchanged: number;
  readonly refused: number;
  readonly failed: number;
  /** Keys deleted by the chosen time, and keys that did not exist yet. */
  readonly deleted: number;
  readonly later: number;
  /** Bytes copied (dry run: that would be copied). */
  readonly bytes: number;
}

export interface S3RestoreResult {
  readonly summary: S3RestoreSummary;
  /** Absent for a dry run. */
  readonly event?: RestoreEvent;
}

export function parseDestination(to: string): { bucket: string; prefix: string } {
  const slash = to.indexOf("/");
  const bucket = slash < 0 ? to : to.slice(0, slash);
  let prefix = slash < 0 ? "" : to.slice(slash + 1);
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new RestoreRefused("InvalidRequest", `--to "${to}" must be <bucket> or <bucket>/<prefix>`);
  }
  return { bucket, prefix };
}

async function requireBucket(deps: RestoreDeps, bucket: string, what: string): Promise<void> {
  try {
    await deps.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const info = describeS3Error(error);
    if (info.statusCode === 404 || info.code === "NoSuchBucket" || info.code === "NotFound") {
      throw new RestoreRefused("InvalidRequest", `The ${what} bucket "${bucket}" does not exist`);
    }
    throw new DroxError(`Cannot read the ${what} bucket "${bucket}": ${formatS3Error(error)}`, {
      retryable: info.retryable,
      cause: error,
    });
  }
}

/** Destination objects under `listPrefix`, keyed like the restore's keys (`keyPrefix` + rest). */
async function* destinationObjects(
  deps: RestoreDeps,
  bucket: string,
  listPrefix: string,
  keyPrefix: string,
  signal: AbortSignal,
): AsyncGenerator<ListedObject> {
  try {
    for await (const o of listObjects({ s3: deps.s3, bucket, role: "source", prefix: listPrefix, signal }))
      yield { ...o, key: keyPrefix + o.key };
  } catch (error) {
    if (signal.aborted) throw error;
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    throw new DroxError(`Cannot list the destination bucket "${bucket}": ${formatS3Error(cause)}`, {
      retryable: describeS3Error(cause).retryable,
      cause,
    });
  }
}

function withKeyPrefix(objects: AsyncIterable<ListedObject>, keyPrefix: string): AsyncIterable<ListedObject> {
  return (async function* () {
    for await (const o of objects) yield { ...o, key: keyPrefix + o.key };
  })();
}

/** What one restore run keeps while the objects go by. */
interface Run {
  readonly ctx: CopyContext;
  readonly request: S3RestoreRequest;
  readonly totals: {
    selected: number;
    copied: number;
    unchanged: number;
    refused: number;
    failed: number;
    bytes: number;
  };
  /** The first refused keys and failures, for the event's message. */
  readonly refusedKeys: string[];
  readonly failures: string[];
}

function progressOf(run: Run, final: boolean): S3ProgressEvent {
  const t = run.totals;
  return {
    bucket: run.ctx.backupBucket,
    listed: t.selected,
    ...(final ? { total: t.selected } : {}),
    copied: t.copied,
    skipped: t.unchanged + t.refused,
    failed: t.failed,
    bytesCopied: t.bytes,
  };
}

/** One object: left alone when identical, refused when different (no --overwrite), else copied. */
async function restoreOne(run: Run, source: ListedObject, present: ListedObject | undefined): Promise<void> {
  const { ctx, request, totals } = run;
  totals.selected += 1;
  const item = {
    key: source.key,
    size: source.size,
    ...(source.versionId ? { versionId: source.versionId } : {}),
  };
  const report = (action: S3RestoreAction, message?: string) => {
    request.onItem?.({ ...item, action, ...(message === undefined ? {} : { message }) });
    request.onProgress?.(progressOf(run, false));
  };
  if (present) {
    if (await isUpToDate(ctx, source, present).catch(() => false)) {
      totals.unchanged += 1;
      return report("unchanged");
    }
    if (!request.overwrite) {
      totals.refused += 1;
      if (run.refusedKeys.length < KEYS_IN_MESSAGE) run.refusedKeys.push(source.key);
      return report("refused");
    }
  }
  if (request.dryRun) {
    totals.bytes += source.size;
    return report("copy");
  }
  try {
    await copyObject(ctx, source);
    totals.copied += 1;
    totals.bytes += source.size;
    request.onProgress?.(progressOf(run, false));
  } catch (error) {
    if (ctx.signal.aborted) return;
    totals.failed += 1;
    const message = formatS3Error(error);
    if (run.failures.length < KEYS_IN_MESSAGE) run.failures.push(`${source.key}: ${message}`);
    report("failed", message);
  }
}

export async function restoreS3(deps: RestoreDeps, request: S3RestoreRequest): Promise<S3RestoreResult> {
  const backupBucket = deps.settings.backupBucket;
  if (!backupBucket) {
    throw new RestoreRefused(
      "InvalidRequest",
      "BACKUP_BUCKET is not set: it names the bucket the backups are in",
    );
  }
  const destination = parseDestination(request.to);
  if (destination.bucket === backupBucket) {
    throw new RestoreRefused(
      "InvalidRequest",
      `--to is the backup bucket "${backupBucket}": a restore never writes into the backup`,
    );
  }
  const keyPrefix = request.prefix ?? "";
  const sourcePrefix = `${request.source}/`;
  await requireBucket(deps, backupBucket, "backup");
  await requireBucket(deps, destination.bucket, "destination");

  const clock = startRestore(deps.now());
  const subject: RestoreSubject = {
    type: "S3",
    resource: request.source,
    from: `s3://${backupBucket}/${sourcePrefix}${keyPrefix}`,
    target: `s3://${destination.bucket}/${destination.prefix}`,
    ...(request.at ? { at: request.at.toISOString() } : {}),
  };
  const timeout = AbortSignal.timeout(request.timeoutSeconds * 1000);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const run: Run = {
    ctx: {
      s3: deps.s3,
      sourceS3: deps.s3,
      sourceBucket: backupBucket,
      sourcePrefix,
      backupBucket: destination.bucket,
      prefix: destination.prefix,
      multipartThreshold: request.multipartThresholdBytes ?? S3_JOB_MULTIPART_THRESHOLD,
      partSize: request.partSizeBytes ?? S3_JOB_PART_SIZE,
      signal,
      // The destination's encryption is learned from the first copy; a restore keeps no ETag pairs.
      destination: {},
      pairs: new EtagPairs(),
    },
    request,
    totals: { selected: 0, copied: 0, unchanged: 0, refused: 0, failed: 0, bytes: 0 },
    refusedKeys: [],
    failures: [],
  };
  const counts: VersionCounts = { deleted: 0, later: 0 };
  const candidates = withKeyPrefix(
    versionsAt({
      s3: deps.s3,
      bucket: backupBucket,
      prefix: sourcePrefix + keyPrefix,
      at: request.at,
      signal,
      counts,
    }),
    keyPrefix,
  );
  const existing = destinationObjects(
    deps,
    destination.bucket,
    destination.prefix + keyPrefix,
    keyPrefix,
    signal,
  );
  let fatal: unknown;
  try {
    await forEachBounded(
      joinListings(candidates, existing),
      request.concurrency ?? deps.settings.s3SyncConcurrency,
      () => signal.aborted,
      ({ source, backup: present }) => restoreOne(run, source, present),
    );
  } catch (error) {
    fatal = error;
  }
  const summary: S3RestoreSummary = { ...run.totals, ...counts };
  request.onProgress?.(progressOf(run, true));
  if (fatal === undefined && !signal.aborted && summary.selected === 0) {
    throw new RestoreRefused(
      "NothingToRestore",
      counts.deleted + counts.later === 0
        ? `Nothing to restore: no backup under ${subject.from}`
        : `Nothing to restore under ${subject.from}${request.at ? ` as of ${request.at.toISOString()}` : ""}: ${counts.deleted} key(s) deleted by then, ${counts.later} created only later`,
    );
  }
  if (request.dryRun) {
    if (fatal !== undefined) throw fatal;
    return { summary };
  }
  const outcome = outcomeOf(summary, run, fatal, signal, request.timeoutSeconds);
  const event = finishRestore(clock, subject, deps.requestedBy, deps.now(), outcome);
  await recordRestore(deps, event);
  return { summary, event };
}

function outcomeOf(
  s: S3RestoreSummary,
  { refusedKeys, failures }: Pick<Run, "refusedKeys" | "failures">,
  fatal: unknown,
  signal: AbortSignal,
  timeoutSeconds: number,
): RestoreOutcome {
  const metrics = {
    filesTotal: s.selected,
    filesCopied: s.copied,
    filesSkipped: s.unchanged,
    filesRefused: s.refused,
    filesFailed: s.failed,
    sizeBytes: s.bytes,
  };
  const more = (shown: number, total: number) => (total > shown ? ` (and ${total - shown} more)` : "");
  if (fatal !== undefined || signal.aborted) {
    const reason = signal.aborted
      ? `stopped after ${s.copied} objects copied: ${signal.reason instanceof Error && signal.reason.name === "TimeoutError" ? `not finished within ${timeoutSeconds} s` : messageOf(signal.reason)}`
      : messageOf(fatal);
    const code = signal.aborted ? "Aborted" : (awsErrorCode(fatal) ?? "RestoreFailed");
    return { status: "FAILED", metrics, error: { message: reason, code } };
  }
  const problems: string[] = [];
  if (s.refused > 0)
    problems.push(
      `${s.refused} object(s) exist at the destination with other content and were not overwritten (--overwrite replaces them): ${refusedKeys.join(", ")}${more(refusedKeys.length, s.refused)}`,
    );
  if (s.failed > 0)
    problems.push(
      `${s.failed} object(s) could not be copied: ${failures.join("; ")}${more(failures.length, s.failed)}`,
    );
  if (problems.length === 0) return { status: "SUCCEEDED", metrics };
  const status = s.copied + s.unchanged === 0 && s.failed > 0 ? "FAILED" : "WARNING";
  return {
    status,
    metrics,
    error: {
      message: problems.join(". "),
      code: s.failed > 0 ? "ObjectsNotCopied" : "ObjectsNotOverwritten",
    },
  };
}
