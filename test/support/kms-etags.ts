/**
 * Real S3 gives an object encrypted with SSE-KMS an ETag that is not the MD5 of its data ("Objects
 * created by the PUT Object, POST Object, or Copy operation … and are encrypted by SSE-C or SSE-KMS,
 * have ETags that are not an MD5 digest of their object data",
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html). moto 5.2.5 keeps the MD5 whatever
 * the encryption (moto/s3/models.py, FakeKey.etag), so a sync into an SSE-KMS backup bucket would
 * look cheaper on moto than in AWS. This middleware makes moto's answers for the named buckets look
 * like S3's: every ETag of an object in them is replaced, consistently across PutObject, CopyObject,
 * CompleteMultipartUpload, HeadObject, GetObject (and its If-None-Match) and ListObjectsV2, by a
 * digest of the key and moto's ETag. Part ETags (UploadPart, UploadPartCopy) are left alone: moto checks them when the
 * upload completes.
 */
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { InitializeHandlerOptions, InitializeMiddleware, MetadataBearer } from "@smithy/types";

interface MiddlewareHost {
  readonly middlewareStack: {
    add(middleware: InitializeMiddleware<object, MetadataBearer>, options: InitializeHandlerOptions): void;
  };
}

/** What an SSE-KMS bucket would answer instead of moto's MD5 (multipart suffix `-N` kept). */
export function kmsEtag(key: string, motoEtag: string): string {
  const bare = motoEtag.replace(/"/g, "");
  const suffix = /-\d+$/.exec(bare)?.[0] ?? "";
  return `"${createHash("md5").update(`sse-kms\0${key}\0${bare}`).digest("hex")}${suffix}"`;
}

interface EtagOutputs {
  ETag?: string;
  CopyObjectResult?: { ETag?: string };
  Contents?: { Key?: string; ETag?: string }[];
}

export function emulateKmsEtags(client: MiddlewareHost, buckets: readonly string[]): void {
  const kmsBuckets = new Set(buckets);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { Bucket?: string; Key?: string };
      if (input.Bucket === undefined || !kmsBuckets.has(input.Bucket)) return result;
      const out = result.output as EtagOutputs;
      const key = input.Key ?? "";
      switch (context.commandName) {
        case "PutObjectCommand":
        case "CompleteMultipartUploadCommand":
        case "HeadObjectCommand":
          if (out.ETag) out.ETag = kmsEtag(key, out.ETag);
          break;
        case "GetObjectCommand": {
          if (out.ETag) out.ETag = kmsEtag(key, out.ETag);
          // moto compared If-None-Match with its own MD5; S3 compares it with the ETag it gives
          // ("otherwise, return a 304 Not Modified error",
          // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
          const ifNoneMatch = (args.input as { IfNoneMatch?: string }).IfNoneMatch;
          if (ifNoneMatch !== undefined && ifNoneMatch.replace(/"/g, "") === out.ETag?.replace(/"/g, "")) {
            throw new S3ServiceException({
              name: "NotModified",
              $fault: "client",
              $metadata: { httpStatusCode: 304 },
              message: "Not Modified",
            });
          }
          break;
        }
        case "CopyObjectCommand":
          if (out.CopyObjectResult?.ETag) out.CopyObjectResult.ETag = kmsEtag(key, out.CopyObjectResult.ETag);
          break;
        case "ListObjectsV2Command":
          for (const o of out.Contents ?? []) if (o.ETag) o.ETag = kmsEtag(o.Key ?? "", o.ETag);
          break;
      }
      return result;
    },
    { step: "initialize", name: "emulateKmsEtags" },
  );
}

/** Makes `bucket` encrypt new objects with SSE-KMS by default, like the deployed backup bucket. */
export async function encryptWithKmsByDefault(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: "aws:kms",
              KMSMasterKeyID: "alias/drox-test",
            },
            BucketKeyEnabled: true,
          },
        ],
      },
    }),
  );
}

export async function createKmsBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await encryptWithKmsByDefault(s3, bucket);
}

/**
 * S3 copies only "if its entity tag (ETag) matches the specified tag" when CopySourceIfMatch is
 * given, else answers 412 PreconditionFailed
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). moto 5.2.5 checks only
 * x-amz-copy-source-if-none-match (moto/s3/responses.py, copy_object), so this middleware checks
 * the condition first, reading the source's ETag through `plain` (a client without this middleware
 * or any request counter), and fails as S3 does.
 */
export function enforceCopySourceIfMatch(client: MiddlewareHost, plain: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { CopySource?: string; CopySourceIfMatch?: string };
      if (context.commandName === "CopyObjectCommand" && input.CopySourceIfMatch !== undefined) {
        const [bucket = "", ...key] = decodeURIComponent((input.CopySource ?? "").split("?")[0] ?? "").split(
          "/",
        );
        const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key: key.join("/") }));
        if (head.ETag?.replace(/"/g, "") !== input.CopySourceIfMatch.replace(/"/g, "")) {
          throw new S3ServiceException({
            name: "PreconditionFailed",
            $fault: "client",
            $metadata: { httpStatusCode: 412 },
            message: "At least one of the pre-conditions you specified did not hold",
          });
        }
      }
      return next(args);
    },
    { step: "initialize", name: "enforceCopySourceIfMatch" },
  );
}
