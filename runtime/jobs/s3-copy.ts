/**
 * Server-side copy of one object into the backup, and the test for "the backup already has it".
 *
 * S3's ETag is the MD5 of the content only for objects written in one piece and not encrypted with
 * KMS ("Objects … encrypted by SSE-C or SSE-KMS, have ETags that are not an MD5 digest of their
 * object data", https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html). A copy made with
 * UploadPartCopy, a CopyObject of an object that was uploaded in parts, and any copy into a bucket
 * that encrypts with SSE-KMS (the deployed backup bucket does) get a different ETag than their
 * source, so something else must say which source version such a copy holds.
 *
 * A backup copies each object with one CopyObject: MetadataDirective COPY keeps the source's
 * metadata and content headers without reading them first, and CopySourceIfMatch the listed source
 * ETag makes the ETag the copy comes back with provably a copy of that version ("Copies the object
 * if its entity tag (ETag) matches the specified tag", else 412 PreconditionFailed,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). That pair of ETags is
 * recorded and stored (./s3-etag-pairs.ts), and a re-run decides from the listings and the pairs.
 * Where no pair is known, the copy's user metadata `drox-source-etag` may say it: copies made in
 * parts carry it (CreateMultipartUpload sets the metadata anyway), and so does a copy made again
 * because its pair was lost and it carried none (MetadataDirective REPLACE after a HEAD of the
 * source), so losing the pairs twice costs HEADs, not copies.
 *
 * A restore keeps no pairs (`provenance: "metadata"`): it copies with directive COPY where the ETag
 * survives (a plain-MD5 source into a bucket without KMS) and otherwise once with REPLACE and the
 * source ETag, since a second copy would leave a version behind.
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
import type { EtagPairs } from "./s3-etag-pairs";
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
  /** Copies and backup-side reads go to the backup bucket's region through this client. */
  readonly s3: S3Client;
  /** Reads of the source bucket (its own region's client when it lives elsewhere). */
  readonly sourceS3: S3Client;
  readonly sourceBucket: string;
  readonly backupBucket: string;
  readonly prefix: string;
  /** Key prefix of the objects in the source bucket (a restore reads `<source>/`). @default "" */
  readonly sourcePrefix?: string;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly signal: AbortSignal;
  /**
   * Whether the backup bucket encrypts new objects with SSE-KMS: learned once per run from its
   * default encryption, else from the first CopyObject's answer; undefined while unknown.
   */
  readonly destination: { kms?: boolean };
  readonly pairs: EtagPairs;
  /**
   * Where a copy whose ETag differs from its source's records the source version: the stored
   * pairs of ETags (a backup: one CopyObject a new object), or its own metadata (a restore, which
   * stores no pairs). @default "metadata"
   */
  readonly provenance?: "pairs" | "metadata";
}

const PLAIN_MD5 = /^[0-9a-f]{32}$/i;

/** `aws:kms` and `aws:kms:dsse` (dual-layer) both give copies non-MD5 ETags. */
export function isKmsEncryption(algorithm: string | undefined): boolean {
  return algorithm?.startsWith("aws:kms") ?? false;
}

/**
 * CopySource is `bucket/key` with the key URL-encoded; slashes stay as separators. A version other
 * than the current one is `?versionId=` (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
 */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return versionId === undefined ? path : `${path}?versionId=${encodeURIComponent(versionId)}`;
}

/** Where `source` lives in the source bucket: its key under sourcePrefix, and its version. */
function sourceKey(
  ctx: Pick<CopyContext, "sourcePrefix">,
  source: ListedObject,
): { Key: string; VersionId?: string } {
  const Key = (ctx.sourcePrefix ?? "") + source.key;
  return source.versionId === undefined ? { Key } : { Key, VersionId: source.versionId };
}

function copySourceOf(ctx: CopyContext, source: ListedObject): string {
  return copySource(ctx.sourceBucket, (ctx.sourcePrefix ?? "") + source.key, source.versionId);
}

/**
 * What the backup's object is to its source: `current` (same size, and the same ETag directly, or
 * through a known pair, or through the stored source ETag read with a HEAD only when the pairs do
 * not decide), `stale` (missing, resized, replaced, or a copy of another source version), or
 * `unverified`: same size, but nothing records which source version it holds.
 */
export type BackupState = "current" | "stale" | "unverified";

export type StateContext = Pick<CopyContext, "s3" | "backupBucket" | "prefix" | "signal" | "pairs"> & {
  /**
   * Where the source is, for the integrity check: a copy without a record is then proven stale
   * when its ETag and its source's are both MD5s of their bytes (one HEAD of the source).
   */
  readonly proveWith?: Pick<CopyContext, "sourceS3" | "sourceBucket" | "sourcePrefix">;
};

/**
 * "Objects created by the PUT Object, POST Object, or Copy operation … encrypted by SSE-S3 or
 * plaintext, have ETags that are an MD5 digest of their object data"
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html); SSE-KMS, SSE-C and multipart
 * ETags are not.
 */
function etagIsContentMd5(head: HeadObjectCommandOutput): boolean {
  return (
    !isKmsEncryption(head.ServerSideEncryption) &&
    head.SSECustomerAlgorithm === undefined &&
    PLAIN_MD5.test(normalizeEtag(head.ETag))
  );
}

/** Whether a copy nothing vouches for provably holds other bytes than its source (see StateContext). */
async function provenStale(
  ctx: StateContext,
  source: ListedObject,
  backupHead: HeadObjectCommandOutput,
): Promise<boolean> {
  const where = ctx.proveWith;
  const sourceEtag = normalizeEtag(source.etag);
  // Stryker disable next-line ConditionalExpression: without proveWith the source read below throws a TypeError inside headSource, whose catch also answers "proves nothing"
  if (where === undefined) return false;
  if (!PLAIN_MD5.test(sourceEtag)) return false;
  // The copy read may have been replaced since its listing, by one of the listed source.
  if (!etagIsContentMd5(backupHead) || normalizeEtag(backupHead.ETag) === sourceEtag) return false;
  // A source that cannot be read, or changed since its listing, proves nothing (and is not the
  // backup's fault). The HEAD is IfMatch the listed ETag: a source with another ETag is 412
  // PreconditionFailed (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html), so
  // one that answers holds the listed version.
  const head = await headSource({ ...where, signal: ctx.signal }, source).catch(() => undefined);
  return head !== undefined && etagIsContentMd5(head);
}

export async function backupState(
  ctx: StateContext,
  source: ListedObject,
  backup: ListedObject | undefined,
): Promise<BackupState> {
  if (!backup || backup.size !== source.size) return "stale";
  const sourceEtag = normalizeEtag(source.etag);
  if (normalizeEtag(backup.etag) === sourceEtag) return "current";
  if (ctx.pairs.matches(backup.etag, sourceEtag)) return "current";
  // The pair names the version this copy was made from, and it is not the listed one: the source
  // was edited since (same size), and no HEAD can say otherwise.
  if (ctx.pairs.sourceOf(backup.etag) !== undefined) return "stale";
  try {
    const head = await ctx.s3.send(
      new HeadObjectCommand({ Bucket: ctx.backupBucket, Key: ctx.prefix + source.key }),
      { abortSignal: ctx.signal },
    );
    const stored = normalizeEtag(head.Metadata?.[SOURCE_ETAG_METADATA]);
    if (stored === "") return (await provenStale(ctx, source, head)) ? "stale" : "unverified";
    if (stored !== sourceEtag) return "stale";
    // The copy listed is the one read (an object replaced since its listing shows another ETag).
    if (normalizeEtag(head.ETag) === normalizeEtag(backup.etag)) ctx.pairs.record(backup.etag, sourceEtag);
    return "current";
  } catch (error) {
    // Deleted from the backup since it was listed: simply copy it again.
    if (isS3ErrorCode(error, "NotFound", "NoSuchKey")) return "stale";
    throw error;
  }
}

/** Whether the backup's object is known to hold the source's content (see backupState). */
export async function isUpToDate(
  ctx: StateContext,
  source: ListedObject,
  backup: ListedObject | undefined,
): Promise<boolean> {
  return (await backupState(ctx, source, backup)) === "current";
}

/**
 * Copies one object; resolves when the backup holds it, having recorded the pair of ETags when the
 * copy's differs from the source's. With `withSourceEtag` the copy also carries the source ETag in
 * its metadata (a copy made again because nothing recorded its source version). Throws the SDK's
 * error otherwise (412 PreconditionFailed: the source changed since it was listed).
 */
export async function copyObject(
  ctx: CopyContext,
  source: ListedObject,
  options: { readonly withSourceEtag?: boolean } = {},
): Promise<void> {
  const etag = await copy(ctx, source, options.withSourceEtag ?? false);
  ctx.pairs.record(etag, source.etag);
}

/** The copy's ETag. */
async function copy(
  ctx: CopyContext,
  source: ListedObject,
  withSourceEtag: boolean,
): Promise<string | undefined> {
  if (source.size > ctx.multipartThreshold) return copyMultipart(ctx, source);
  if (ctx.provenance === "pairs" && !withSourceEtag) {
    const out = await ctx.s3.send(
      new CopyObjectCommand({
        Bucket: ctx.backupBucket,
        Key: ctx.prefix + source.key,
        CopySource: copySourceOf(ctx, source),
        CopySourceIfMatch: source.etag,
        MetadataDirective: "COPY",
      }),
      { abortSignal: ctx.signal },
    );
    return out.CopyObjectResult?.ETag;
  }
  const sourceEtag = normalizeEtag(source.etag);
  if (ctx.provenance !== "pairs" && PLAIN_MD5.test(sourceEtag) && ctx.destination.kms !== true) {
    const out = await ctx.s3.send(
      new CopyObjectCommand({
        Bucket: ctx.backupBucket,
        Key: ctx.prefix + source.key,
        CopySource: copySourceOf(ctx, source),
        MetadataDirective: "COPY",
      }),
      { abortSignal: ctx.signal },
    );
    // What the bucket did to this copy is what it does to every copy (its default encryption).
    if (isKmsEncryption(out.ServerSideEncryption)) ctx.destination.kms = true;
    else if (out.ServerSideEncryption !== undefined) ctx.destination.kms ??= false;
    // Same ETag as the source: the next run recognises it from the listing alone.
    const copied = out.CopyObjectResult?.ETag;
    if (normalizeEtag(copied) === sourceEtag) return copied;
    // The backup bucket changes ETags (SSE-KMS it did not tell, or a non-MD5 source ETag that looks
    // like one): fall through and record the source ETag.
  }
  const head = await headSource(ctx, source);
  const out = await ctx.s3.send(
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
  return out.CopyObjectResult?.ETag;
}

/** The listed version of the source, or 412 PreconditionFailed when it changed since its listing. */
async function headSource(
  ctx: Pick<CopyContext, "sourceS3" | "sourceBucket" | "sourcePrefix" | "signal">,
  source: ListedObject,
): Promise<HeadObjectCommandOutput> {
  return ctx.sourceS3.send(
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

async function copyMultipart(ctx: CopyContext, source: ListedObject): Promise<string | undefined> {
  const key = ctx.prefix + source.key;
  const head = await headSource(ctx, source);
  // UploadPartCopy copies bytes only: tags, like metadata, are carried over explicitly.
  const tags = await ctx.sourceS3.send(
    new GetObjectTaggingCommand({ Bucket: ctx.sourceBucket, ...sourceKey(ctx, source) }),
    { abortSignal: ctx.signal },
  );
  const tagging = new URLSearchParams(
    // Stryker disable next-line StringLiteral: S3's Tag has Key and Value required (API_Tag); the fallbacks only satisfy the SDK's optional types
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
          // Stryker disable next-line OptionalChaining: S3 answers every UploadPartCopy that succeeds with a CopyPartResult (API_UploadPartCopy); the chaining only satisfies the SDK's optional type
          return { PartNumber: index + 1, ETag: out.CopyPartResult?.ETag };
        }),
      ),
    );
    const done = await ctx.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.backupBucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: ctx.signal },
    );
    return done.ETag;
  } catch (error) {
    limit.clearQueue();
    // Unfinished uploads are billed until aborted; this runs even when the sync was aborted.
    await ctx.s3
      .send(new AbortMultipartUploadCommand({ Bucket: ctx.backupBucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}
