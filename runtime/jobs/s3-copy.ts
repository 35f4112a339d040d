/**
 * Server-side copy of one object into the backup, and the test for "the backup already has it".
 *
 * S3's ETag is the MD5 of the content only for objects uploaded in one piece (and not encrypted
 * with KMS). A copy made with UploadPartCopy, or a CopyObject of an object that was uploaded in
 * parts, gets a different ETag than its source. Such copies carry the source's ETag in the user
 * metadata `drox-source-etag` (header `x-amz-meta-drox-source-etag`), which the next run compares
 * against. The common case — a plain-MD5 source — is copied with one CopyObject and metadata
 * directive COPY, so it costs a single request.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { isS3ErrorCode } from "./s3-errors";
import { normalizeEtag, type ListedObject } from "./s3-listing";

/** User-metadata key (without the `x-amz-meta-` prefix) holding the source object's ETag. */
export const SOURCE_ETAG_METADATA = "drox-source-etag";

/** Objects above this size cannot be copied with CopyObject (S3 limit). */
export const DEFAULT_MULTIPART_THRESHOLD = 5 * 1024 ** 3;
export const DEFAULT_PART_SIZE = 512 * 1024 ** 2;
const MIN_PART_SIZE = 5 * 1024 ** 2;
const MAX_PARTS = 10_000;
/** Parts copied at once within one large object. */
const PART_CONCURRENCY = 8;

export interface CopyContext {
  readonly s3: S3Client;
  readonly sourceBucket: string;
  readonly backupBucket: string;
  readonly prefix: string;
  /** Key prefix of the objects in the source bucket (a restore reads `<source>/`). @default "" */
  readonly sourcePrefix?: string;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly signal: AbortSignal;
}

const PLAIN_MD5 = /^[0-9a-f]{32}$/i;

/**
 * CopySource is `bucket/key` with the key URL-encoded; slashes stay as separators. A version other
 * than the current one is `?versionId=` (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
 */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return versionId === undefined ? path : `${path}?versionId=${encodeURIComponent(versionId)}`;
}

/** Where `source` lives in the source bucket: its key under sourcePrefix, and its version. */
function sourceKey(ctx: CopyContext, source: ListedObject): { Key: string; VersionId?: string } {
  const Key = (ctx.sourcePrefix ?? "") + source.key;
  return source.versionId === undefined ? { Key } : { Key, VersionId: source.versionId };
}

function copySourceOf(ctx: CopyContext, source: ListedObject): string {
  return copySource(ctx.sourceBucket, (ctx.sourcePrefix ?? "") + source.key, source.versionId);
}

/**
 * Whether the backup's object already holds the source's content: same size, and the same ETag
 * either directly or through the stored source ETag (read with a HEAD only when the ETags differ).
 */
export async function isUpToDate(
  ctx: Pick<CopyContext, "s3" | "backupBucket" | "prefix" | "signal">,
  source: ListedObject,
  backup: ListedObject | undefined,
): Promise<boolean> {
  if (!backup || backup.size !== source.size) return false;
  const sourceEtag = normalizeEtag(source.etag);
  if (normalizeEtag(backup.etag) === sourceEtag) return true;
  try {
    const head = await ctx.s3.send(
      new HeadObjectCommand({ Bucket: ctx.backupBucket, Key: ctx.prefix + source.key }),
      { abortSignal: ctx.signal },
    );
    return normalizeEtag(head.Metadata?.[SOURCE_ETAG_METADATA]) === sourceEtag;
  } catch (error) {
    // Deleted from the backup since it was listed: simply copy it again.
    if (isS3ErrorCode(error, "NotFound", "NoSuchKey")) return false;
    throw error;
  }
}

/** Copies one object; resolves when the backup holds it. Throws the SDK's error otherwise. */
export async function copyObject(ctx: CopyContext, source: ListedObject): Promise<void> {
  if (source.size > ctx.multipartThreshold) {
    await copyMultipart(ctx, source);
    return;
  }
  const sourceEtag = normalizeEtag(source.etag);
  if (PLAIN_MD5.test(sourceEtag)) {
    const out = await ctx.s3.send(
      new CopyObjectCommand({
        Bucket: ctx.backupBucket,
        Key: ctx.prefix + source.key,
        CopySource: copySourceOf(ctx, source),
        MetadataDirective: "COPY",
      }),
      { abortSignal: ctx.signal },
    );
    // Same ETag as the source: the next run recognises it from the listing alone.
    if (normalizeEtag(out.CopyObjectResult?.ETag) === sourceEtag) return;
    // The backup bucket changes ETags (e.g. SSE-KMS): fall through and record the source ETag.
  }
  const head = await headSource(ctx, source);
  await ctx.s3.send(
    new CopyObjectCommand({
      Bucket: ctx.backupBucket,
      Key: ctx.prefix + source.key,
      CopySource: copySourceOf(ctx, source),
      CopySourceIfMatch: source.etag,
      MetadataDirective: "REPLACE",
      ...preservedHeaders(head, source.etag),
    }),
    { abortSignal: ctx.signal },
  );
}

async function headSource(ctx: CopyContext, source: ListedObject): Promise<HeadObjectCommandOutput> {
  return ctx.s3.send(
    new HeadObjectCommand({ Bucket: ctx.sourceBucket, ...sourceKey(ctx, source), IfMatch: source.etag }),
    {
      abortSignal: ctx.signal,
    },
  );
}

/** What MetadataDirective REPLACE (and CreateMultipartUpload) would otherwise drop. */
function preservedHeaders(head: HeadObjectCommandOutput, sourceEtag: string) {
  return {
    Metadata: { ...head.Metadata, [SOURCE_ETAG_METADATA]: normalizeEtag(sourceEtag) },
    ContentType: head.ContentType,
    ContentEncoding: head.ContentEncoding,
    ContentDisposition: head.ContentDisposition,
    ContentLanguage: head.ContentLanguage,
    CacheControl: head.CacheControl,
    ExpiresString: head.ExpiresString,
    WebsiteRedirectLocation: head.WebsiteRedirectLocation,
  };
}

export function partRanges(size: number, partSize: number): { start: number; end: number }[] {
  // S3 allows at most 10,000 parts: very large objects get larger parts.
  const effective = Math.max(partSize, Math.ceil(size / MAX_PARTS), MIN_PART_SIZE);
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += effective) {
    ranges.push({ start, end: Math.min(start + effective, size) - 1 });
  }
  return ranges;
}

async function copyMultipart(ctx: CopyContext, source: ListedObject): Promise<void> {
  const key = ctx.prefix + source.key;
  const head = await headSource(ctx, source);
  // UploadPartCopy copies bytes only: tags, like metadata, are carried over explicitly.
  const tags = await ctx.s3.send(
    new GetObjectTaggingCommand({ Bucket: ctx.sourceBucket, ...sourceKey(ctx, source) }),
    {
      abortSignal: ctx.signal,
    },
  );
  const tagging = new URLSearchParams(
    (tags.TagSet ?? []).map((t): [string, string] => [t.Key ?? "", t.Value ?? ""]),
  ).toString();
  const created = await ctx.s3.send(
    new CreateMultipartUploadCommand({
      Bucket: ctx.backupBucket,
      Key: key,
      Tagging: tagging === "" ? undefined : tagging,
      ...preservedHeaders(head, source.etag),
    }),
    { abortSignal: ctx.signal },
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error(`CreateMultipartUpload returned no UploadId for ${key}`);
  const limit = pLimit(PART_CONCURRENCY);
  try {
    const parts = await Promise.all(
      partRanges(source.size, ctx.partSize).map((range, index) =>
        limit(async (): Promise<CompletedPart> => {
          const out = await ctx.s3.send(
            new UploadPartCopyCommand({
              Bucket: ctx.backupBucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: index + 1,
              CopySource: copySourceOf(ctx, source),
              CopySourceRange: `bytes=${range.start}-${range.end}`,
              // Every part from the same version of the source, or the copy fails instead of mixing.
              CopySourceIfMatch: source.etag,
            }),
            { abortSignal: ctx.signal },
          );
          return { PartNumber: index + 1, ETag: out.CopyPartResult?.ETag };
        }),
      ),
    );
    await ctx.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.backupBucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: ctx.signal },
    );
  } catch (error) {
    limit.clearQueue();
    // Unfinished uploads are billed until aborted; this runs even when the sync was aborted.
    await ctx.s3
      .send(new AbortMultipartUploadCommand({ Bucket: ctx.backupBucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}
