/**
 * Streaming listings for the sync: both buckets are read page by page (ListObjectsV2, 1,000 keys a
 * page) and joined on the key as they arrive, so memory stays at a few pages whatever the bucket's
 * size. A listing is a chain (each page's continuation token asks for the next), so one listing
 * cannot go faster than one page per round trip; what the join can do is never wait for one: both
 * listings start at once, and each fetches up to `prefetchPages` pages ahead of the page the join
 * is reading, so a pause of the join (copies catching up) does not stall the round trips. S3 returns keys in ascending UTF-8 byte order; the join compares the same way
 * (JavaScript's `<` compares UTF-16 units, which disagrees for characters beyond U+FFFF).
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { bucketError } from "./s3-errors";

export interface ListedObject {
  /** Key relative to the listing's prefix. */
  readonly key: string;
  readonly size: number;
  /** As S3 returns it, quotes included. */
  readonly etag: string;
  /** A specific version to copy (a restore from the versioned backup); absent: the current one. */
  readonly versionId?: string;
}

export interface ListOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly role: "source" | "backup";
  /** Only keys under this prefix, returned without it. */
  readonly prefix?: string;
  readonly signal?: AbortSignal;
  /** Called with the size of each page as the caller reaches it. */
  readonly onPage?: (count: number) => void;
  /** Pages fetched ahead of the one being read (memory: this many pages plus one). @default 2 */
  readonly prefetchPages?: number;
}

export const DEFAULT_PREFETCH_PAGES = 2;

interface Page {
  readonly objects: ListedObject[];
  readonly next?: string;
}

/**
 * Yields every object, fetching up to `prefetchPages` pages ahead while the caller works through
 * the current one. A bucket that cannot be listed throws a DroxError naming it.
 */
export async function* listObjects(options: ListOptions): AsyncGenerator<ListedObject> {
  const prefix = options.prefix ?? "";
  const depth = Math.max(1, options.prefetchPages ?? DEFAULT_PREFETCH_PAGES);
  const fetchPage = async (token: string | undefined): Promise<Page> => {
    try {
      const out = await options.s3.send(
        new ListObjectsV2Command({
          Bucket: options.bucket,
          Prefix: prefix === "" ? undefined : prefix,
          ContinuationToken: token,
        }),
        { abortSignal: options.signal },
      );
      const objects = (out.Contents ?? []).flatMap((o) =>
        o.Key === undefined
          ? []
          : [{ key: o.Key.slice(prefix.length), size: o.Size ?? 0, etag: o.ETag ?? "" }],
      );
      return { objects, next: out.IsTruncated ? out.NextContinuationToken : undefined };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw bucketError(options.role, options.bucket, "list", error);
    }
  };
  // Pages requested and not yet taken by the caller, in order; `deferred` is the token of the next
  // page when the queue was full as its predecessor arrived (requested once the caller takes one).
  const queue: Promise<Page>[] = [];
  let deferred: string | undefined;
  let closed = false;
  const request = (token: string | undefined): void => {
    const page = fetchPage(token);
    queue.push(page);
    // The rejection handler also keeps a prefetch that fails while the caller is busy from being
    // an unhandled rejection: the caller meets the error when it reaches that page.
    page.then(
      (p) => {
        if (p.next === undefined || closed) return;
        if (queue.length < depth) request(p.next);
        else deferred = p.next;
      },
      () => undefined,
    );
  };
  request(undefined);
  try {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const page = await next;
      if (deferred !== undefined) {
        const token = deferred;
        deferred = undefined;
        request(token);
      }
      options.onPage?.(page.objects.length);
      yield* page.objects;
    }
  } finally {
    closed = true;
  }
}

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export interface JoinedEntry {
  readonly source: ListedObject;
  /** The backup's object under the same key, if there is one. */
  readonly backup?: ListedObject;
}

/**
 * Merge-joins two key-ordered listings. Backup objects without a source object (deleted from the
 * source since) are counted through `onBackupOnly` and otherwise ignored: backups keep them.
 */
export async function* joinListings(
  source: AsyncIterable<ListedObject>,
  backup: AsyncIterable<ListedObject>,
  onBackupOnly?: (entry: ListedObject) => void,
): AsyncGenerator<JoinedEntry> {
  const sourceIt = source[Symbol.asyncIterator]();
  const backupIt = backup[Symbol.asyncIterator]();
  try {
    // Both first pages at once: neither listing waits for the other's first round trip.
    let [s, b] = await Promise.all([sourceIt.next(), backupIt.next()]);
    while (!s.done) {
      while (!b.done && compareKeys(b.value.key, s.value.key) < 0) {
        onBackupOnly?.(b.value);
        b = await backupIt.next();
      }
      if (!b.done && b.value.key === s.value.key) {
        yield { source: s.value, backup: b.value };
        [s, b] = await Promise.all([sourceIt.next(), backupIt.next()]);
      } else {
        yield { source: s.value };
        s = await sourceIt.next();
      }
    }
    while (!b.done) {
      onBackupOnly?.(b.value);
      b = await backupIt.next();
    }
  } finally {
    // A join stopped early (a failed run) closes both listings, so no prefetch is chained further.
    // Not awaited: a listing still waiting for a page closes once that page arrives.
    void Promise.allSettled([sourceIt.return?.(), backupIt.return?.()]);
  }
}

/** ETags compare without their quotes (some tools strip them). */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "");
}
