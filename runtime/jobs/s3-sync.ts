/**
 * Incremental server-side sync of one S3 bucket into the backup bucket, under a prefix per source
 * (default `<sourceBucket>/`). Both buckets are listed page by page and joined on the key; only new
 * objects and objects whose size or ETag changed are copied, with CopyObject (UploadPartCopy above
 * 5 GB), at bounded concurrency. No object data passes through this process. A new object costs
 * one CopyObject whatever the backup bucket's encryption; copies whose ETag cannot equal their
 * source's are recognised through the pairs of ETags recorded from the copies' answers and stored
 * during and after each run (./s3-etag-pairs.ts, ./s3-copy.ts). A copy nothing vouches for (its
 * pair lost, no source ETag in its metadata) is copied again carrying its source ETag, unless the
 * stored pairs exist but cannot be read: then it is left alone and reported as not verified.
 *
 * Objects deleted from the source stay in the backup: that is what a backup is for. Old copies are
 * aged out by the backup bucket's versioning and lifecycle rules, not by the sync.
 *
 * One object that cannot be copied (archived in Glacier, access denied, deleted since the listing)
 * is recorded in `failures` and the run goes on. A bucket that cannot be listed, or that disappears
 * during the run, fails the whole run with a DroxError naming it.
 */
import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { ConfigError, DroxError } from "../contract/errors";
import { readNumberSetting } from "../settings/read";
import {
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  backupState,
  copyObject,
  type BackupState,
  type CopyContext,
  type StateContext,
} from "./s3-copy";
import { loadEtagPairs, startCheckpoints, storeEtagPairsAtEnd } from "./s3-etag-pairs";
import { bucketError, copyFailureMessage, describeS3Error, formatS3Error, isS3ErrorCode } from "./s3-errors";
import { joinListings, listObjects, type JoinedEntry, type ListedObject } from "./s3-listing";

export { SOURCE_ETAG_METADATA } from "./s3-copy";

/** At most this many failures are kept with their messages; `filesFailed` counts them all. */
export const MAX_FAILURES_KEPT = 1000;
/** At most this many keys in each list `compareBackup` returns; the counts are exact. */
export const MAX_KEYS_LISTED = 100;

export interface S3SyncProgress {
  /** Source objects listed so far. */
  listed: number;
  /** Number of source objects, known once the listing is complete. */
  total?: number;
  copied: number;
  skipped: number;
  failed: number;
  bytesCopied: number;
}

export interface S3SyncOptions {
  /** The client for the backup bucket (copies are sent to its region). */
  s3: S3Client;
  /** The client for reading the source bucket, in its region. @default s3 */
  sourceS3?: S3Client;
  sourceBucket: string;
  backupBucket: string;
  /** Key prefix in the backup bucket. @default `${sourceBucket}/` */
  prefix?: string;
  /** Objects copied at once. @default S3_SYNC_CONCURRENCY or 16 */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: S3SyncProgress) => void;
  /** Objects larger than this are copied in parts. @default 5 GiB (CopyObject's limit) */
  multipartThresholdBytes?: number;
  /** Part size for multipart copies (raised as needed to stay within 10,000 parts). @default 512 MiB */
  partSizeBytes?: number;
  /**
   * Objects with no backup copy of their size beyond the first `after` of them (in key order) are
   * handed to `add` instead of copied (an S3 Batch Operations manifest, ./s3-batch.ts); objects
   * over `maxBytes` are always copied here.
   */
  handOff?: { after: number; maxBytes: number; add: (source: ListedObject) => Promise<void> };
  /** When the pairs of ETags recorded so far are checkpointed. @default 1,000 pairs or 30 s */
  checkpoint?: { everyPairs: number; everyMs: number };
}

export interface S3SyncFailure {
  key: string;
  message: string;
}

export interface S3SyncResult {
  filesTotal: number;
  filesCopied: number;
  filesSkipped: number;
  filesFailed: number;
  bytesCopied: number;
  /** Total bytes of the source bucket. */
  sizeBytes: number;
  /** The first MAX_FAILURES_KEPT failures, in the order they happened. */
  failures: S3SyncFailure[];
  /** Objects handed to `handOff` instead of copied. */
  filesHandedOff: number;
}

/**
 * `S3_SYNC_CONCURRENCY`, read through the settings declaration (the stack key's range, widened for
 * local runs, and its default), so the job, the stack and the docs share one range.
 */
export function s3SyncConcurrencyFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return readNumberSetting(env, "s3SyncConcurrency");
}

function resolveCommon(options: {
  sourceBucket: string;
  backupBucket: string;
  prefix?: string;
  concurrency?: number;
}): { prefix: string; concurrency: number } {
  if (options.sourceBucket === options.backupBucket) {
    throw new ConfigError(
      `S3 source bucket "${options.sourceBucket}" is also the backup bucket: a bucket cannot back itself up`,
    );
  }
  const concurrency = options.concurrency ?? s3SyncConcurrencyFromEnv();
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(`S3 sync concurrency must be a positive integer, got ${concurrency}`);
  }
  return { prefix: options.prefix ?? `${options.sourceBucket}/`, concurrency };
}

function unverifiedMessage(unreadable: string): string {
  return (
    `not verified and left as is: nothing records which source version the backup copy holds, ` +
    `and the stored pairs of ETags could not be read (${unreadable})`
  );
}

function abortedError(sourceBucket: string, signal: AbortSignal, copied: number): DroxError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : "";
  return new DroxError(
    `S3 sync of bucket "${sourceBucket}" was aborted after ${copied} objects copied${reason}`,
    { retryable: true, cause: signal.reason },
  );
}

/**
 * Runs `work` for each joined entry at bounded concurrency, holding at most twice the concurrency
 * in memory: the listing is paused while the copies catch up.
 */
export async function forEachBounded(
  entries: AsyncIterable<JoinedEntry>,
  concurrency: number,
  shouldStop: () => boolean,
  work: (entry: JoinedEntry) => Promise<void>,
): Promise<void> {
  const limit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  try {
    for await (const entry of entries) {
      if (shouldStop()) break;
      // Queued work that starts after a stop returns at once (clearing p-limit's queue would leave
      // those promises pending forever).
      const task: Promise<void> = limit(async () => (shouldStop() ? undefined : work(entry))).finally(() =>
        inFlight.delete(task),
      );
      inFlight.add(task);
      if (inFlight.size >= concurrency * 2) await Promise.race(inFlight);
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}

export async function syncBucket(options: S3SyncOptions): Promise<S3SyncResult> {
  const { sourceBucket, backupBucket, s3 } = options;
  const { prefix, concurrency } = resolveCommon(options);
  if (options.signal?.aborted) throw abortedError(sourceBucket, options.signal, 0);

  // Aborted by the caller, or by us when a bucket vanishes, so in-flight requests stop promptly.
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const sourceS3 = options.sourceS3 ?? s3;
  // The pairs load while the listings start: they are needed only once an entry is decided, and
  // waiting for them first would add a round trip to every run.
  const loading = loadEtagPairs(s3, backupBucket, prefix, signal).then((pairs) => {
    const ctx: CopyContext = {
      s3,
      sourceS3,
      sourceBucket,
      backupBucket,
      prefix,
      multipartThreshold: options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD,
      partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE,
      signal,
      destination: {},
      pairs,
      provenance: "pairs",
    };
    return {
      ctx,
      pairs,
      checkpoints: startCheckpoints({ s3, backupBucket, prefix }, pairs, options.checkpoint),
    };
  });
  // Only an aborted run fails to load them, and that is reported as the abort below.
  loading.catch(() => undefined);

  const progress: S3SyncProgress = { listed: 0, copied: 0, skipped: 0, failed: 0, bytesCopied: 0 };
  const emit = () => options.onProgress?.({ ...progress });
  const failures: S3SyncFailure[] = [];
  let sizeBytes = 0;
  let fatal: DroxError | undefined;

  // A NoSuchBucket while copying means one bucket is gone: that ends the run, once, naming it.
  let bucketsChecked: Promise<void> | undefined;
  const checkBuckets = () =>
    (bucketsChecked ??= (async () => {
      for (const [role, bucket, client] of [
        ["source", sourceBucket, sourceS3],
        ["backup", backupBucket, s3],
      ] as const) {
        try {
          await client.send(new HeadBucketCommand({ Bucket: bucket }));
        } catch (error) {
          const info = describeS3Error(error);
          // A HEAD has no body: S3 answers a missing bucket with a bare 404 (the SDK names it
          // NotFound from the status alone; NoSuchBucket never comes back to a HEAD).
          if (info.statusCode === 404) {
            fatal ??= bucketError(role, bucket, role === "source" ? "copy from" : "copy into", error);
            internal.abort(fatal);
            return;
          }
        }
      }
    })());

  const processEntry = async (entry: JoinedEntry): Promise<void> => {
    const { source, backup } = entry;
    try {
      const { ctx, pairs, checkpoints } = await loading;
      const state = await backupState(ctx, source, backup);
      if (state === "current") {
        progress.skipped += 1;
      } else if (state === "unverified" && pairs.unreadable !== undefined) {
        // Most likely a good copy whose pair is in the file that could not be read: copying it
        // again would leave a billed version behind for nothing.
        progress.failed += 1;
        if (failures.length < MAX_FAILURES_KEPT)
          failures.push({ key: source.key, message: unverifiedMessage(pairs.unreadable) });
      } else {
        await copyObject(ctx, source, { withSourceEtag: state === "unverified" });
        checkpoints.afterRecord();
        progress.copied += 1;
        progress.bytesCopied += source.size;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isS3ErrorCode(error, "NoSuchBucket")) {
        await checkBuckets();
        if (fatal) return;
      }
      progress.failed += 1;
      if (failures.length < MAX_FAILURES_KEPT)
        failures.push({ key: source.key, message: copyFailureMessage(error, sourceBucket) });
    }
    emit();
  };

  const source = listObjects({
    s3: sourceS3,
    bucket: sourceBucket,
    role: "source",
    signal,
    onPage: (count) => {
      progress.listed += count;
      emit();
    },
  });
  const backup = listObjects({ s3, bucket: backupBucket, role: "backup", prefix, signal });
  const { handOff } = options;
  let missing = 0;
  let handedOff = 0;
  const entries = (async function* () {
    for await (const entry of joinListings(source, backup)) {
      sizeBytes += entry.source.size;
      // Decided here, in key order and without a request, so the manifest is sorted like a listing.
      if (handOff && (entry.backup === undefined || entry.backup.size !== entry.source.size)) {
        missing += 1;
        if (missing > handOff.after && entry.source.size <= handOff.maxBytes) {
          await handOff.add(entry.source);
          handedOff += 1;
          continue;
        }
      }
      yield entry;
    }
    progress.total = progress.listed;
    emit();
  })();

  let listingError: unknown;
  try {
    await forEachBounded(entries, concurrency, () => signal.aborted, processEntry);
  } catch (error) {
    listingError = error;
    internal.abort(error);
  }
  const loaded = await loading.catch(() => undefined);
  await loaded?.checkpoints.stop();
  if (loaded && fatal === undefined) {
    // Not under the run's signal: what an aborted run copied is worth remembering. A failure costs
    // the next run the copies made since the last checkpoint, so it does not fail this one.
    const complete = !signal.aborted && listingError === undefined;
    await storeEtagPairsAtEnd(s3, backupBucket, prefix, loaded.pairs, complete).catch(() => undefined);
  }
  if (fatal) throw fatal;
  if (options.signal?.aborted) throw abortedError(sourceBucket, options.signal, progress.copied);
  if (listingError !== undefined) {
    throw listingError instanceof DroxError
      ? listingError
      : new DroxError(`S3 sync of bucket "${sourceBucket}" failed: ${formatS3Error(listingError)}`, {
          retryable: describeS3Error(listingError).retryable,
          cause: listingError,
        });
  }
  return {
    filesTotal: progress.total ?? progress.listed,
    filesCopied: progress.copied,
    filesSkipped: progress.skipped,
    filesFailed: progress.failed,
    bytesCopied: progress.bytesCopied,
    sizeBytes,
    failures,
    filesHandedOff: handedOff,
  };
}

export interface CompareBackupOptions {
  s3: S3Client;
  /** @default s3 */
  sourceS3?: S3Client;
  sourceBucket: string;
  backupBucket: string;
  /** @default `${sourceBucket}/` */
  prefix?: string;
  /** HEAD requests at once, for objects whose ETags differ. @default S3_SYNC_CONCURRENCY or 16 */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface CompareBackupResult {
  sourceCount: number;
  /** Objects under the prefix, including those since deleted from the source (backups keep them). */
  backupCount: number;
  /** Source keys with no backup copy (the first MAX_KEYS_LISTED, in key order). */
  missing: string[];
  /** Source keys whose backup copy differs in size or ETag (the first MAX_KEYS_LISTED). */
  mismatched: string[];
  /**
   * Source keys whose backup copy has their size but nothing says which source version it holds
   * (no known pair of ETags, no source ETag in its metadata), or cannot be read (the first
   * MAX_KEYS_LISTED): neither intact nor known to differ.
   */
  unverified: string[];
  missingCount: number;
  mismatchedCount: number;
  unverifiedCount: number;
  /** Why the stored pairs of ETags could not be read, when they could not. */
  pairsUnreadable?: string;
}

/** The first `max` keys of those added in any order, holding at most 2 × max. */
export class FirstKeys {
  private readonly keys: string[] = [];

  constructor(private readonly max: number) {}

  /** How many keys it holds now (the memory bound, for its spec). */
  get held(): number {
    return this.keys.length;
  }

  add(key: string): void {
    this.keys.push(key);
    if (this.keys.length > 2 * this.max) this.keys.sort().splice(this.max);
  }

  list(): string[] {
    return this.keys.sort().slice(0, this.max);
  }
}

/** The integrity check's view: does the backup hold every source object, unchanged? */
export async function compareBackup(options: CompareBackupOptions): Promise<CompareBackupResult> {
  const { s3, sourceBucket, backupBucket } = options;
  const { prefix, concurrency } = resolveCommon(options);
  const signal = options.signal ?? new AbortController().signal;
  const result: CompareBackupResult = {
    sourceCount: 0,
    backupCount: 0,
    missing: [],
    // Stryker disable next-line ArrayDeclaration: replaced by the first keys below before the result is returned
    mismatched: [],
    // Stryker disable next-line ArrayDeclaration: likewise
    unverified: [],
    missingCount: 0,
    mismatchedCount: 0,
    unverifiedCount: 0,
  };
  const aborted = () =>
    new DroxError(`Backup comparison of bucket "${sourceBucket}" was aborted`, {
      retryable: true,
      cause: signal.reason,
    });
  const pairs = await loadEtagPairs(s3, backupBucket, prefix, signal).catch((error: unknown) => {
    throw signal.aborted ? aborted() : error;
  });
  if (pairs.unreadable !== undefined) result.pairsUnreadable = pairs.unreadable;
  const sourceS3 = options.sourceS3 ?? s3;
  const stateContext: StateContext = {
    s3,
    backupBucket,
    prefix,
    signal,
    pairs,
    proveWith: { sourceS3, sourceBucket },
  };
  const source = listObjects({ s3: sourceS3, bucket: sourceBucket, role: "source", signal });
  const backup = listObjects({ s3, bucket: backupBucket, role: "backup", prefix, signal });
  const entries = joinListings(source, backup, () => {
    result.backupCount += 1;
  });
  // HEADs finish in any order: kept sorted so the lists hold the first keys.
  const mismatched = new FirstKeys(MAX_KEYS_LISTED);
  const unverified = new FirstKeys(MAX_KEYS_LISTED);
  let failure: unknown;
  await forEachBounded(
    entries,
    concurrency,
    () => signal.aborted,
    async ({ source: s, backup: b }) => {
      result.sourceCount += 1;
      if (b === undefined) {
        result.missingCount += 1;
        if (result.missing.length < MAX_KEYS_LISTED) result.missing.push(s.key);
        return;
      }
      result.backupCount += 1;
      // A copy whose metadata cannot be read cannot be verified: never counted intact.
      const state: BackupState = await backupState(stateContext, s, b).catch(() => "unverified" as const);
      if (state === "stale") {
        result.mismatchedCount += 1;
        mismatched.add(s.key);
      } else if (state === "unverified") {
        result.unverifiedCount += 1;
        unverified.add(s.key);
      }
    },
  ).catch((error: unknown) => {
    failure = error;
  });
  if (signal.aborted) throw aborted();
  if (failure !== undefined) throw failure;
  result.mismatched = mismatched.list();
  result.unverified = unverified.list();
  return result;
}
