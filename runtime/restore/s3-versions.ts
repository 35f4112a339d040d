/**
 * Which version of each backed-up object a restore takes, read from the versioned backup bucket
 * with ListObjectVersions (1,000 entries a page, keys in ascending UTF-8 order, each key's versions
 * and delete markers newest first — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html).
 * As of a time: the newest entry last modified at or before it; without one: the current entry. A
 * key whose entry is a delete marker was deleted by then, one with no entry yet did not exist:
 * both are skipped and counted. Streams: memory holds one page whatever the bucket's size.
 */
import { ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { bucketError } from "../jobs/s3-errors";
import { compareKeys, type ListedObject } from "../jobs/s3-listing";

export interface VersionCounts {
  /** Keys whose chosen entry is a delete marker. */
  deleted: number;
  /** Keys with no entry at or before the chosen time. */
  later: number;
}

interface Entry {
  readonly key: string;
  readonly versionId?: string;
  readonly lastModified: number;
  readonly isLatest: boolean;
  readonly marker: boolean;
  readonly size: number;
  readonly etag: string;
}

/**
 * S3 lists versions and delete markers in one newest-first sequence per key; the SDK returns them
 * as two arrays. Merged back here; at the same second (listings have second precision) the current
 * entry wins, then an object over a delete marker: a restore had rather bring back one file too many.
 */
function byKeyNewestFirst(a: Entry, b: Entry): number {
  return (
    compareKeys(a.key, b.key) ||
    b.lastModified - a.lastModified ||
    Number(b.isLatest) - Number(a.isLatest) ||
    Number(a.marker) - Number(b.marker)
  );
}

export interface VersionsOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Only keys under this prefix, returned without it. */
  readonly prefix: string;
  /** The point in time; absent: the current version. */
  readonly at?: Date;
  readonly signal?: AbortSignal;
  /** Counts of the keys skipped, kept up to date as the listing goes. */
  readonly counts: VersionCounts;
}

/** Yields, per key in key order, the object version to restore (with its versionId). */
export async function* versionsAt(options: VersionsOptions): AsyncGenerator<ListedObject> {
  const { prefix, counts } = options;
  const at = options.at?.getTime();
  let currentKey: string | undefined;
  let chosen: Entry | undefined;
  const finish = (): ListedObject | undefined => {
    if (currentKey === undefined) return undefined;
    if (!chosen) {
      counts.later += 1;
      return undefined;
    }
    if (chosen.marker) {
      counts.deleted += 1;
      return undefined;
    }
    return {
      key: currentKey.slice(prefix.length),
      size: chosen.size,
      etag: chosen.etag,
      ...(chosen.versionId === undefined ? {} : { versionId: chosen.versionId }),
    };
  };
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await options.s3.send(
        new ListObjectVersionsCommand({
          Bucket: options.bucket,
          Prefix: prefix === "" ? undefined : prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
        { abortSignal: options.signal },
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw bucketError("backup", options.bucket, "list the versions of", error);
    }
    const entries: Entry[] = [
      ...(page.Versions ?? []).map((v) => ({
        key: v.Key ?? "",
        versionId: v.VersionId,
        lastModified: v.LastModified?.getTime() ?? 0,
        isLatest: v.IsLatest === true,
        marker: false,
        size: v.Size ?? 0,
        etag: v.ETag ?? "",
      })),
      ...(page.DeleteMarkers ?? []).map((m) => ({
        key: m.Key ?? "",
        versionId: m.VersionId,
        lastModified: m.LastModified?.getTime() ?? 0,
        isLatest: m.IsLatest === true,
        marker: true,
        size: 0,
        etag: "",
      })),
    ].sort(byKeyNewestFirst);
    for (const entry of entries) {
      if (entry.key !== currentKey) {
        const done = finish();
        if (done) yield done;
        currentKey = entry.key;
        chosen = undefined;
      }
      if (chosen) continue;
      if (at === undefined ? entry.isLatest : entry.lastModified <= at) chosen = entry;
    }
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
  const last = finish();
  if (last) yield last;
}
