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
 * holding only the pairs recorded since the previous one, after CHECKPOINT_EVERY_PAIRS new pairs
 * (or 1/CHECKPOINT_SLOTS of the file's pairs, for large buckets) or CHECKPOINT_EVERY_MS,
 * whichever comes first. The task may not delete backup objects (components/task-permissions.ts),
 * so checkpoints go to CHECKPOINT_SLOTS fixed keys, overwritten in turn; before a slot whose pairs
 * the file does not hold yet is overwritten, the file is rewritten, and it names the slots (by
 * their ETags) whose pairs it holds, so a run reads only slots left by a run that died, and finds
 * them without listing (loadEtagPairs). The cost
 * stays bounded: a checkpoint PUT per thousand copies or CHECKPOINT_EVERY_MS at most, and a
 * rewrite of the file per CHECKPOINT_SLOTS checkpoints at most: every 8 minutes at most, and when
 * the copies trigger them, only after the run added as many pairs as the file held (each such
 * checkpoint holds a 1/CHECKPOINT_SLOTS of it), so a first run of a large bucket writes the file a
 * logarithmic number of times, not once per thousand copies. A file that exists but cannot be read is never overwritten: that
 * run writes checkpoints into free slots only, and the sync leaves the copies it cannot verify
 * alone.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describeS3Error, formatS3Error, isS3ErrorCode } from "./s3-errors";
import { normalizeEtag } from "./s3-listing";

/** A checkpoint is written once this many new pairs wait, about 80 KB. */
export const CHECKPOINT_EVERY_PAIRS = 1000;
/** … or once this long has passed with any new pair waiting (a run of large copies). */
export const CHECKPOINT_EVERY_MS = 30_000;
/** Fixed checkpoint keys per source, overwritten in turn. */
export const CHECKPOINT_SLOTS = 16;

/** Key of the pairs object for copies under `prefix` (bucket names cannot start with a dot). */
export function etagPairsKey(prefix: string): string {
  return `.drox-backup/etag-pairs/${prefix}pairs.json`;
}

/** Key of checkpoint slot `slot` (0 to CHECKPOINT_SLOTS - 1) beside it. */
export function etagPairsCheckpointKey(prefix: string, slot: number): string {
  return `.drox-backup/etag-pairs/${prefix}pairs.checkpoint-${String(slot).padStart(2, "0")}.json`;
}

interface PairsFile {
  readonly version: 1;
  /** [copy ETag, source ETag], without quotes, sorted by the copy ETag. */
  readonly pairs: readonly (readonly [string, string])[];
  /** Checkpoint slots whose pairs this file holds: key → the slot object's ETag then. */
  readonly folded?: Readonly<Record<string, string>>;
}

/** A checkpoint slot as this run knows it. */
export interface Slot {
  /** The slot object's ETag, without quotes. */
  readonly etag: string;
  /** Whether the stored file holds its pairs (then it may be overwritten). */
  readonly folded: boolean;
}

export interface StoredPairs {
  /** Checkpoint slots that exist. */
  readonly slots?: ReadonlyMap<string, Slot>;
  /** Why the stored pairs could not be read; then the file is never overwritten. */
  readonly unreadable?: string;
}

export class EtagPairs {
  /** The pairs this run has seen hold (confirmed, or made by its own copies). */
  private readonly seen = new Map<string, string>();
  /** Recorded and in no stored file or checkpoint yet. */
  private fresh = new Map<string, string>();
  /** Whether a pair the file does not hold was recorded. */
  private added = false;
  private readonly slotStates: Map<string, Slot>;
  /** Pairs in the file as last read or written, which sizes the checkpoints. */
  private fileSize: number;
  /** The slot the next checkpoint goes to. */
  nextSlot = 0;
  /** Why the stored pairs could not be read, if they could not. */
  readonly unreadable: string | undefined;

  constructor(
    private readonly known: ReadonlyMap<string, string> = new Map(),
    stored: StoredPairs = {},
  ) {
    this.slotStates = new Map(stored.slots ?? []);
    this.unreadable = stored.unreadable;
    this.fileSize = known.size;
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
      this.added = true;
      this.fresh.set(backup, source);
    }
    this.seen.set(backup, source);
  }

  /** Pairs recorded since the last checkpoint. */
  get freshCount(): number {
    return this.fresh.size;
  }

  /** Fresh pairs that make a checkpoint worth its PUT: a share of the file, at least `everyPairs`. */
  checkpointDue(everyPairs: number): boolean {
    return this.fresh.size >= Math.max(everyPairs, Math.ceil(this.fileSize / CHECKPOINT_SLOTS));
  }

  /** Hands the fresh pairs to a checkpoint; `wrote` (or `putBack`) says how that went. */
  takeFresh(): Map<string, string> {
    const taken = this.fresh;
    this.fresh = new Map();
    return taken;
  }

  /** A checkpoint failed: its pairs wait for the next one (or the file). */
  putBack(taken: ReadonlyMap<string, string>): void {
    for (const [backup, source] of taken) if (!this.fresh.has(backup)) this.fresh.set(backup, source);
  }

  /** The slot at `key` now holds a checkpoint (ETag `etag`) the file does not hold yet. */
  wrote(key: string, etag: string | undefined): void {
    this.slotStates.set(key, { etag: normalizeEtag(etag), folded: false });
  }

  slot(key: string): Slot | undefined {
    return this.slotStates.get(key);
  }

  /** Slots to name in the file written now, which holds their pairs. */
  foldedSlots(): Record<string, string> {
    return Object.fromEntries([...this.slotStates].map(([key, slot]) => [key, slot.etag]));
  }

  /** The file holding `size` pairs and every slot has been written. */
  stored(size: number): void {
    for (const [key, slot] of this.slotStates) this.slotStates.set(key, { ...slot, folded: true });
    this.fileSize = size;
  }

  /**
   * The pairs to store as the file, or undefined when the stored ones are still right (or could
   * not be read, and so must not be replaced). After a complete run only the pairs seen (copies of
   * deleted or replaced objects drop out); after an interrupted one the stored pairs too, since
   * the objects not reached yet still need them. Slots the file does not hold are folded in.
   */
  toStore(complete: boolean): Map<string, string> | undefined {
    if (this.unreadable !== undefined) return undefined;
    const unchanged = !this.added && [...this.slotStates.values()].every((slot) => slot.folded);
    if (complete) return unchanged && this.seen.size === this.known.size ? undefined : this.seen;
    return unchanged ? undefined : new Map([...this.known, ...this.seen]);
  }
}

/** The file's or a checkpoint's pairs into `into`, and the slots a file names as folded. */
function parsePairs(text: string, into: Map<string, string>): Readonly<Record<string, string>> {
  let parsed: Partial<PairsFile>;
  try {
    parsed = JSON.parse(text) as Partial<PairsFile>;
  } catch {
    // Damaged: as good as lost, and replaced by the next complete run.
    return {};
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.pairs)) return {};
  for (const pair of parsed.pairs) {
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string") {
      into.set(pair[0], pair[1]);
    }
  }
  const folded = parsed.folded;
  return typeof folded === "object" && folded !== null ? folded : {};
}

async function readPairsObject(
  s3: S3Client,
  bucket: string,
  key: string,
  into: Map<string, string>,
  signal: AbortSignal | undefined,
): Promise<Readonly<Record<string, string>>> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return parsePairs((await out.Body?.transformToString("utf-8")) ?? "", into);
  } catch (error) {
    // None yet (first run), or lost: the copies' metadata and the listings decide instead.
    if (isS3ErrorCode(error, "NoSuchKey", "NotFound")) return {};
    throw error;
  }
}

/**
 * Reads a checkpoint slot unless it is the version the file holds (`held`, its ETag then):
 * GetObject with If-None-Match answers 304 Not Modified for that version without its body ("Return
 * the object only if its entity tag (ETag) is different from the one specified",
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html); a server that ignores the
 * header is recognised by the ETag it answers with.
 */
async function readSlot(
  s3: S3Client,
  bucket: string,
  key: string,
  held: string | undefined,
  into: Map<string, string>,
  signal: AbortSignal | undefined,
): Promise<"missing" | "held" | { readonly etag: string }> {
  try {
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(held === undefined ? {} : { IfNoneMatch: `"${held}"` }),
      }),
      { abortSignal: signal },
    );
    const etag = normalizeEtag(out.ETag);
    if (etag === held) return "held";
    parsePairs((await out.Body?.transformToString("utf-8")) ?? "", into);
    return { etag };
  } catch (error) {
    if (isS3ErrorCode(error, "NoSuchKey", "NotFound")) return "missing";
    if (describeS3Error(error).statusCode === 304) return "held";
    throw error;
  }
}

/**
 * The stored pairs: the file, and the checkpoint slots it does not hold (left by a run that died).
 * A run writes slots from 00 on, and the file folds every slot it knows before one is reused, so
 * the slots the file does not hold are always 00, 01, … up to the first one missing or held: in the
 * common case one conditional GET of slot 00 after the file's, not a listing. None when there are
 * none yet or the file is damaged. When some exist but cannot be read (denied, S3 failing beyond
 * the SDK's retries), the pairs that could be read, with `unreadable` saying why: a backup still
 * runs, but nothing replaces the file.
 */
export async function loadEtagPairs(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<EtagPairs> {
  const pairs = new Map<string, string>();
  const slots = new Map<string, Slot>();
  let reason: unknown;
  let folded: Readonly<Record<string, string>> = {};
  try {
    folded = await readPairsObject(s3, backupBucket, etagPairsKey(prefix), pairs, signal);
  } catch (error) {
    reason = error;
  }
  try {
    for (let slot = 0; slot < CHECKPOINT_SLOTS; slot++) {
      const key = etagPairsCheckpointKey(prefix, slot);
      // After the file, so a checkpoint (newer) wins where both name a copy ETag.
      const read = await readSlot(s3, backupBucket, key, folded[key], pairs, signal);
      if (read === "missing") break;
      if (read === "held") {
        // Stryker disable next-line StringLiteral: a slot is held only when the file names it (If-None-Match, or the same ETag), so folded[key] is defined
        slots.set(key, { etag: folded[key] ?? "", folded: true });
        break;
      }
      slots.set(key, { etag: read.etag, folded: false });
    }
  } catch (error) {
    reason ??= error;
  }
  if (signal?.aborted) throw signal.reason;
  return new EtagPairs(pairs, {
    slots,
    ...(reason === undefined ? {} : { unreadable: formatS3Error(reason) }),
  });
}

function serialize(
  pairs: ReadonlyMap<string, string>,
  folded: Readonly<Record<string, string>> = {},
): string {
  const file: PairsFile = {
    version: 1,
    // A map's keys: no two copy ETags are equal.
    pairs: [...pairs].sort(([a], [b]) => (a < b ? -1 : 1)),
    ...(Object.keys(folded).length > 0 ? { folded } : {}),
  };
  return JSON.stringify(file);
}

/** Writes `pairs` as the file, naming the slots whose pairs it holds (`folded`). */
export async function storeEtagPairs(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  pairs: ReadonlyMap<string, string>,
  folded: Readonly<Record<string, string>> = {},
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: backupBucket,
      Key: etagPairsKey(prefix),
      Body: serialize(pairs, folded),
      ContentType: "application/json",
    }),
  );
}

/**
 * Writes the fresh pairs into the next slot; when that slot holds pairs the file does not, the
 * file is rewritten first (an unreadable one is not: then only a free slot is used, if any). On
 * failure the pairs wait for the next checkpoint.
 */
export async function storeEtagPairsCheckpoint(
  s3: S3Client,
  backupBucket: string,
  prefix: string,
  pairs: EtagPairs,
): Promise<void> {
  if (pairs.freshCount === 0) return;
  let slot = pairs.nextSlot;
  if (pairs.unreadable !== undefined) {
    const free = Array.from({ length: CHECKPOINT_SLOTS }, (_, i) => (slot + i) % CHECKPOINT_SLOTS).find(
      (i) => pairs.slot(etagPairsCheckpointKey(prefix, i))?.folded !== false,
    );
    if (free === undefined) return;
    slot = free;
  } else if (pairs.slot(etagPairsCheckpointKey(prefix, slot))?.folded === false) {
    const file = pairs.toStore(false) ?? new Map<string, string>();
    await storeEtagPairs(s3, backupBucket, prefix, file, pairs.foldedSlots());
    pairs.stored(file.size);
  }
  const key = etagPairsCheckpointKey(prefix, slot);
  const taken = pairs.takeFresh();
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: backupBucket,
        Key: key,
        Body: serialize(taken),
        ContentType: "application/json",
      }),
    );
    pairs.wrote(key, out.ETag);
    pairs.nextSlot = (slot + 1) % CHECKPOINT_SLOTS;
  } catch (error) {
    pairs.putBack(taken);
    throw error;
  }
}

/**
 * Writes what the run leaves: the file when it changed, naming the slots it now holds; without a
 * file to write (unreadable), the fresh pairs as one more checkpoint.
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
  await storeEtagPairs(s3, backupBucket, prefix, toStore, pairs.foldedSlots());
  pairs.stored(toStore.size);
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
      if (pairs.checkpointDue(policy.everyPairs)) flush();
    },
    stop: async () => {
      clearInterval(timer);
      await writing;
    },
  };
}
