/**
 * Streaming listings for the sync: both buckets are read page by page (ListObjectsV2, 1,000 keys a
 * page) and joined on the key as they arrive, so memory stays at a couple of pages whatever the
 * bucket's size. S3 returns keys in ascending UTF-8 byte order; the join compares the same way
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
  /** Called with the size of each page as it arrives. */
  readonly onPage?: (count: number) => void;
}

interface Page {
  readonly objects: ListedObject[];
  readonly next?: string;
}

/**
 * Yields every object, fetching the next page while the caller works through the current one.
 * A bucket that cannot be listed throws a DroxError naming it.
 */
export async function* listObjects(options: ListOptions): AsyncGenerator<ListedObject> {
  const prefix = options.prefix ?? "";
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
  let pending: Promise<Page> | undefined = fetchPage(undefined);
  while (pending) {
    const page: Page = await pending;
    pending = page.next === undefined ? undefined : fetchPage(page.next);
    // A prefetch that fails while the caller is still busy must not become an unhandled rejection.
    pending?.catch(() => undefined);
    options.onPage?.(page.objects.length);
    yield* page.objects;
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
  const backupIt = backup[Symbol.asyncIterator]();
  let current = await backupIt.next();
  for await (const s of source) {
    while (!current.done && compareKeys(current.value.key, s.key) < 0) {
      onBackupOnly?.(current.value);
      current = await backupIt.next();
    }
    if (!current.done && current.value.key === s.key) {
      yield { source: s, backup: current.value };
      current = await backupIt.next();
    } else {
      yield { source: s };
    }
  }
  while (!current.done) {
    onBackupOnly?.(current.value);
    current = await backupIt.next();
  }
}

/** ETags compare without their quotes (some tools strip them). */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "");
}
