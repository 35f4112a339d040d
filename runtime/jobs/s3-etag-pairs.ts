/**
 * Which backup copy was made from which source version, so that a re-sync (and the integrity
 * check) can decide from the two listings alone, without a HEAD per object.
 *
 * A copy whose ETag differs from its source's (every copy into an SSE-KMS bucket, copies made in
 * parts, copies of multipart sources) carries the source ETag in its metadata, which only a HEAD
 * reads. The sync makes each such copy conditional on the listed source ETag (CopySourceIfMatch or
 * HEAD IfMatch first) and gets the copy's own ETag back, so the pair (copy ETag → source ETag) is a
 * fact about that backup object. A later run that lists the same copy ETag next to the same source
 * ETag knows the copy is current; any other combination (source edited, backup replaced, pair not
 * known yet) falls back to the HEAD. A stale or lost file therefore costs HEADs, never a wrong skip.
 *
 * The pairs live in the backup bucket outside the copies' prefix, one small JSON object per source
 * (about 80 bytes an object), written only when they changed. Memory: the pairs of one bucket
 * (about 200 bytes an object while a run holds the old and the new set).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { normalizeEtag } from "./s3-listing";

/** Key of the pairs object for copies under `prefix` (bucket names cannot start with a dot). */
export function etagPairsKey(prefix: string): string {
  return `.drox-backup/etag-pairs/${prefix}pairs.json`;
}

interface PairsFile {
  readonly version: 1;
  /** [copy ETag, source ETag], without quotes, sorted by the copy ETag. */
  readonly pairs: readonly (readonly [string, string])[];
}

export class EtagPairs {
  /** The pairs this run has seen hold (confirmed, or made by its own copies). */
  private readonly seen = new Map<string, string>();
  private added = 0;

  constructor(private readonly known: ReadonlyMap<string, string> = new Map()) {}

  /** Whether the copy with ETag `backupEtag` is known to have been made from `sourceEtag`. */
  matches(backupEtag: string, sourceEtag: string): boolean {
    const backup = normalizeEtag(backupEtag);
    const source = normalizeEtag(sourceEtag);
    if (this.known.get(backup) !== source) return false;
    this.seen.set(backup, source);
    return true;
  }

  /** Records that the copy with ETag `backupEtag` holds the source version `sourceEtag`. */
  record(backupEtag: string | undefined, sourceEtag: string): void {
    const backup = normalizeEtag(backupEtag);
    const source = normalizeEtag(sourceEtag);
    // Equal ETags need no pair: the listings alone show it.
    if (backup === "" || backup === source) return;
    if (this.known.get(backup) !== source) this.added += 1;
    this.seen.set(backup, source);
  }

  /**
   * The pairs to store, or undefined when the stored ones are still right. After a complete run
   * only the pairs seen (copies of deleted or replaced objects drop out); after an interrupted one
   * the stored pairs too, since the objects not reached yet still need them.
   */
  toStore(complete: boolean): Map<string, string> | undefined {
    if (complete) {
      return this.added === 0 && this.seen.size === this.known.size ? undefined : this.seen;
    }
    return this.added === 0 ? undefined : new Map([...this.known, ...this.seen]);
  }
}

function parsePairs(text: string): Map<string, string> {
  const parsed = JSON.parse(text) as Partial<PairsFile>;
  const pairs = new Map<string, string>();
  if (parsed.version !== 1 || !Array.isArray(parsed.pairs)) return pairs;
  for (const pair of parsed.pairs) {
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string") {
      pairs.set(pair[0], pair[1]);
    }
  }
  return pairs;
}

/**
 * The stored pairs; none when there are none yet, or when they cannot be read or parsed: they only
 * save requests, so a missing or damaged file must not stop a backup (the HEADs decide instead).
 */
export async function loadEtagPairs(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<EtagPairs> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: backupBucket, Key: etagPairsKey(prefix) }), {
      abortSignal: signal,
    });
    return new EtagPairs(parsePairs((await out.Body?.transformToString("utf-8")) ?? ""));
  } catch (error) {
    if (signal?.aborted) throw error;
    return new EtagPairs();
  }
}

export async function storeEtagPairs(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  pairs: ReadonlyMap<string, string>,
): Promise<void> {
  const file: PairsFile = {
    version: 1,
    pairs: [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: backupBucket,
      Key: etagPairsKey(prefix),
      Body: JSON.stringify(file),
      ContentType: "application/json",
    }),
  );
}
