/**
 * Which backup copy was made from which source version, so that a re-sync (and the integrity
 * check) can decide from the two listings alone, without a HEAD per object.
 *
 * A copy's ETag differs from its source's for every copy into an SSE-KMS bucket, copies made in
 * parts and copies of multipart sources. The sync makes each copy with one CopyObject conditional
 * on the listed source ETag (CopySourceIfMatch) and gets the copy's own ETag back, so the pair
 * (copy ETag → source ETag) is a fact about that backup object. Since such a copy keeps its
 * source's metadata unchanged (MetadataDirective COPY), the pair is the only record of its source
 * version: a later run that lists the same copy ETag next to the same source ETag knows the copy is
 * current, one that lists the copy ETag paired with another source ETag knows it is stale, and a
 * copy with no known pair is HEADed for the `drox-source-etag` metadata that copies made in parts
 * or re-copied after a loss carry (./s3-copy.ts). A wrong pair is never recorded, so a stale or
 * lost file never makes a run skip a copy; what a lost pair costs is a second copy of that object
 * (a billed noncurrent version, undeletable under Object Lock) made with the metadata, after which
 * only a HEAD.
 *
 * So the pairs are kept where a crash loses few of them: the consolidated file (one small JSON
 * object per source, about 80 bytes a pair), plus checkpoints a run writes while it copies, each
 * holding only the pairs recorded since the previous one (every CHECKPOINT_EVERY_PAIRS pairs or
 * CHECKPOINT_EVERY_MS, whichever comes first: bytes written stay linear in the pairs, requests at
 * most one PUT per thousand copies plus one per half minute). A run reads the file and any
 * checkpoints left by a run that died, and once it has written the consolidated file it deletes
 * the checkpoints it read or wrote. A file that exists but cannot be read is never overwritten:
 * that run adds checkpoints only, and the sync leaves the copies it cannot verify alone.
 */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ulid } from "ulid";
import { formatS3Error, isS3ErrorCode } from "./s3-errors";
import { listObjects, normalizeEtag } from "./s3-listing";

/** A checkpoint is written once this many new pairs wait, about 80 KB. */
export const CHECKPOINT_EVERY_PAIRS = 1000;
/** … or once this long has passed with any new pair waiting (a run of large copies). */
export const CHECKPOINT_EVERY_MS = 30_000;
/** DeleteObjects takes up to 1,000 keys (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
const DELETE_BATCH = 1000;

/** Key of the pairs object for copies under `prefix` (bucket names cannot start with a dot). */
export function etagPairsKey(prefix: string): string {
  return `.drox-backup/etag-pairs/${prefix}pairs.json`;
}

/** Keys of the checkpoints beside it start with this. */
export function etagPairsCheckpointPrefix(prefix: string): string {
  return `.drox-backup/etag-pairs/${prefix}pairs.checkpoint-`;
}

interface PairsFile {
  readonly version: 1;
  /** [copy ETag, source ETag], without quotes, sorted by the copy ETag. */
  readonly pairs: readonly (readonly [string, string])[];
}

export interface StoredPairs {
  /** Checkpoint keys read at load (and written since), deleted once the file holds their pairs. */
  readonly checkpoints?: readonly string[];
  /** Why the stored pairs could not be read; then the file is never overwritten. */
  readonly unreadable?: string;
}

export class EtagPairs {
  /** The pairs this run has seen hold (confirmed, or made by its own copies). */
  private readonly seen = new Map<string, string>();
  /** Recorded and in no stored file or checkpoint yet. */
  private fresh = new Map<string, string>();
  private added = 0;
  private readonly checkpointKeys: string[];
  /** Why the stored pairs could not be read, if they could not. */
  readonly unreadable: string | undefined;

  constructor(
    private readonly known: ReadonlyMap<string, string> = new Map(),
    stored: StoredPairs = {},
  ) {
    this.checkpointKeys = [...(stored.checkpoints ?? [])];
    this.unreadable = stored.unreadable;
  }

  /** Whether the copy with ETag `backupEtag` is known to have been made from `sourceEtag`. */
  matches(backupEtag: string, sourceEtag: string): boolean {
    const backup = normalizeEtag(backupEtag);
    const source = normalizeEtag(sourceEtag);
    if (this.sourceOf(backup) !== source) return false;
    this.seen.set(backup, source);
    return true;
  }

  /** The source ETag the copy with ETag `backupEtag` is known to hold, if any. */
  sourceOf(backupEtag: string): string | undefined {
    const backup = normalizeEtag(backupEtag);
    return this.seen.get(backup) ?? this.known.get(backup);
  }

  /** Records that the copy with ETag `backupEtag` holds the source version `sourceEtag`. */
  record(backupEtag: string | undefined, sourceEtag: string): void {
    const backup = normalizeEtag(backupEtag);
    const source = normalizeEtag(sourceEtag);
    // Equal ETags need no pair: the listings alone show it.
    if (backup === "" || backup === source || this.seen.get(backup) === source) return;
    if (this.known.get(backup) !== source) {
      this.added += 1;
      this.fresh.set(backup, source);
    }
    this.seen.set(backup, source);
  }

  /** Pairs recorded since the last checkpoint. */
  get freshCount(): number {
    return this.fresh.size;
  }

  /** Hands the fresh pairs to a checkpoint; `keptIn` (or `putBack`) says how that went. */
  takeFresh(): Map<string, string> {
    const taken = this.fresh;
    this.fresh = new Map();
    return taken;
  }

  /** The checkpoint at `key` holds pairs taken with takeFresh. */
  keptIn(key: string): void {
    this.checkpointKeys.push(key);
  }

  /** A checkpoint failed: its pairs wait for the next one (or the file). */
  putBack(taken: ReadonlyMap<string, string>): void {
    for (const [backup, source] of taken) if (!this.fresh.has(backup)) this.fresh.set(backup, source);
  }

  /** Checkpoints to delete once the file holds their pairs. */
  get checkpoints(): readonly string[] {
    return this.checkpointKeys;
  }

  /**
   * The pairs to store as the file, or undefined when the stored ones are still right (or could
   * not be read, and so must not be replaced). After a complete run only the pairs seen (copies of
   * deleted or replaced objects drop out); after an interrupted one the stored pairs too, since
   * the objects not reached yet still need them. Checkpoints are folded in, so they can go.
   */
  toStore(complete: boolean): Map<string, string> | undefined {
    if (this.unreadable !== undefined) return undefined;
    const unchanged = this.added === 0 && this.checkpointKeys.length === 0;
    if (complete) return unchanged && this.seen.size === this.known.size ? undefined : this.seen;
    return unchanged ? undefined : new Map([...this.known, ...this.seen]);
  }
}

function parsePairs(text: string, into: Map<string, string>): void {
  let parsed: Partial<PairsFile>;
  try {
    parsed = JSON.parse(text) as Partial<PairsFile>;
  } catch {
    // Damaged: as good as lost, and replaced by the next complete run.
    return;
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.pairs)) return;
  for (const pair of parsed.pairs) {
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string") {
      into.set(pair[0], pair[1]);
    }
  }
}

async function readPairsObject(
  s3: S3Client,
  bucket: string,
  key: string,
  into: Map<string, string>,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    parsePairs((await out.Body?.transformToString("utf-8")) ?? "", into);
  } catch (error) {
    // None yet (first run), or lost: the copies' metadata and the listings decide instead.
    if (isS3ErrorCode(error, "NoSuchKey", "NotFound")) return;
    throw error;
  }
}

/**
 * The stored pairs: the file and any checkpoints. None when there are none yet or the file is
 * damaged. When some exist but cannot be read (denied, S3 failing beyond the SDK's retries), the
 * pairs that could be read, with `unreadable` saying why: a backup still runs, but nothing replaces
 * the file.
 */
export async function loadEtagPairs(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<EtagPairs> {
  const checkpointPrefix = etagPairsCheckpointPrefix(prefix);
  const checkpoints: string[] = [];
  const listCheckpoints = async () => {
    const listing = listObjects({
      s3,
      bucket: backupBucket,
      role: "backup",
      prefix: checkpointPrefix,
      signal,
    });
    for await (const o of listing) checkpoints.push(checkpointPrefix + o.key);
  };
  const pairs = new Map<string, string>();
  const reasons: unknown[] = [];
  const settled = await Promise.allSettled([
    readPairsObject(s3, backupBucket, etagPairsKey(prefix), pairs, signal),
    listCheckpoints(),
  ]);
  for (const outcome of settled) if (outcome.status === "rejected") reasons.push(outcome.reason);
  // After the file, so a checkpoint (newer) wins where both name a copy ETag.
  for (const key of checkpoints) {
    await readPairsObject(s3, backupBucket, key, pairs, signal).catch((error: unknown) =>
      reasons.push(error),
    );
  }
  if (signal?.aborted) throw signal.reason;
  const [reason] = reasons;
  return new EtagPairs(pairs, {
    checkpoints,
    ...(reason === undefined ? {} : { unreadable: formatS3Error(reason) }),
  });
}

function serialize(pairs: ReadonlyMap<string, string>): string {
  const file: PairsFile = {
    version: 1,
    pairs: [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
  return JSON.stringify(file);
}

export async function storeEtagPairs(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  pairs: ReadonlyMap<string, string>,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: backupBucket,
      Key: etagPairsKey(prefix),
      Body: serialize(pairs),
      ContentType: "application/json",
    }),
  );
}

/** Writes the fresh pairs as one checkpoint; on failure they wait for the next one. */
export async function storeEtagPairsCheckpoint(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  pairs: EtagPairs,
): Promise<void> {
  if (pairs.freshCount === 0) return;
  const taken = pairs.takeFresh();
  // ULIDs sort by time, so checkpoints are read oldest first.
  const key = `${etagPairsCheckpointPrefix(prefix)}${ulid()}.json`;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: backupBucket,
        Key: key,
        Body: serialize(taken),
        ContentType: "application/json",
      }),
    );
    pairs.keptIn(key);
  } catch (error) {
    pairs.putBack(taken);
    throw error;
  }
}

/**
 * Writes what the run leaves: the file when it changed, then deletes the checkpoints it folds in;
 * without a file to write (unreadable), the fresh pairs as one more checkpoint.
 */
export async function storeEtagPairsAtEnd(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  pairs: EtagPairs,
  complete: boolean,
): Promise<void> {
  const toStore = pairs.toStore(complete);
  if (toStore === undefined) return storeEtagPairsCheckpoint(s3, backupBucket, prefix, pairs);
  await storeEtagPairs(s3, backupBucket, prefix, toStore);
  const keys = pairs.checkpoints;
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: backupBucket,
        Delete: { Objects: keys.slice(i, i + DELETE_BATCH).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
}

/**
 * Checkpoints while a sync copies: after every `everyPairs` new pairs, and every `everyMs` while
 * any wait. One write at a time; a failed one only leaves its pairs for the next.
 */
export function startCheckpoints(
  store: { readonly s3: S3Client; readonly backupBucket: string; readonly prefix: string },
  pairs: EtagPairs,
  policy: { readonly everyPairs: number; readonly everyMs: number } = {
    everyPairs: CHECKPOINT_EVERY_PAIRS,
    everyMs: CHECKPOINT_EVERY_MS,
  },
): { afterRecord: () => void; stop: () => Promise<void> } {
  let writing: Promise<void> | undefined;
  const flush = () => {
    if (writing !== undefined || pairs.freshCount === 0) return;
    writing = storeEtagPairsCheckpoint(store.s3, store.backupBucket, store.prefix, pairs)
      .catch(() => undefined)
      .finally(() => (writing = undefined));
  };
  const timer = setInterval(flush, policy.everyMs);
  // A pending checkpoint must not keep a finished process alive.
  timer.unref();
  return {
    afterRecord: () => {
      if (pairs.freshCount >= policy.everyPairs) flush();
    },
    stop: async () => {
      clearInterval(timer);
      await writing;
    },
  };
}
