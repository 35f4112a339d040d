/**
 * A source object edited in place with the same size, for each kind of copy whose ETag differs from
 * its source's, so that only the stored source ETag (or the pair of ETags) can tell the copy is
 * stale: the re-sync must copy it again, and until then the comparison the integrity check runs must
 * name it. A change detection that trusts size alone, or any stored ETag, fails here.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { compareBackup, syncBucket, type S3SyncOptions } from "../runtime/jobs/s3-sync";
import { createKmsBucket, emulateKmsEtags } from "./support/kms-etags";
import { useMoto, type Moto } from "./support/moto";
import { countCommands } from "./support/s3-requests";

const SRC = "drox-src";
const BACKUP = "drox-backup-store";
const MiB = 1024 * 1024;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function readBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
}

/** Uploads `parts` as one multipart object (ETag `<md5 of md5s>-N`). */
async function putInParts(s3: S3Client, bucket: string, key: string, parts: Buffer[]): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const etags: string[] = [];
  for (const [i, Body] of parts.entries()) {
    const out = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body }),
    );
    etags.push(out.ETag ?? "");
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
}

interface Case {
  readonly name: string;
  readonly key: string;
  readonly kmsBackup: boolean;
  readonly options: Partial<S3SyncOptions>;
  readonly write: (s3: S3Client, version: 1 | 2) => Promise<Buffer>;
}

const CASES: readonly Case[] = [
  {
    name: "a source uploaded in parts",
    key: "archive.tar",
    kmsBackup: false,
    options: {},
    write: async (s3, version) => {
      const parts = [
        Buffer.alloc(5 * MiB, version === 1 ? "a" : "b"),
        Buffer.from(version === 1 ? "tail" : "TAIL"),
      ];
      await putInParts(s3, SRC, "archive.tar", parts);
      return Buffer.concat(parts);
    },
  },
  {
    name: "a large object copied in parts",
    key: "big.bin",
    kmsBackup: false,
    // moto, like S3, refuses parts under 5 MiB except the last.
    options: { multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB },
    write: async (s3, version) => {
      const body = Buffer.alloc(11 * MiB, version);
      await s3.send(new PutObjectCommand({ Bucket: SRC, Key: "big.bin", Body: body }));
      return body;
    },
  },
  {
    name: "any object copied into an SSE-KMS backup bucket",
    key: "notes.txt",
    kmsBackup: true,
    options: {},
    write: async (s3, version) => {
      const body = Buffer.from(version === 1 ? "draft one" : "draft two");
      await s3.send(new PutObjectCommand({ Bucket: SRC, Key: "notes.txt", Body: body }));
      return body;
    },
  },
];

describe("S3 sync: a source edited in place with the same size (against moto)", function () {
  this.timeout(180_000);
  let moto: Moto;

  before(async () => {
    moto = await useMoto();
  });

  for (const c of CASES) {
    it(`must copy again, and report until then, ${c.name}`, async () => {
      await moto.reset();
      const s3 = new S3Client({ forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: SRC }));
      if (c.kmsBackup) {
        emulateKmsEtags(s3, [BACKUP]);
        await createKmsBucket(s3, BACKUP);
      } else {
        await s3.send(new CreateBucketCommand({ Bucket: BACKUP }));
      }
      const options = { s3, sourceBucket: SRC, backupBucket: BACKUP, ...c.options };
      const v1 = await c.write(s3, 1);
      assert.equal((await syncBucket(options)).filesCopied, 1);
      const copyHead = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/${c.key}` }));
      const sourceHead = await s3.send(new HeadObjectCommand({ Bucket: SRC, Key: c.key }));
      assert.notEqual(copyHead.ETag, sourceHead.ETag, "the copy's ETag differs from its source's");
      assert.equal((await syncBucket(options)).filesSkipped, 1, "unchanged, it is not copied again");

      const v2 = await c.write(s3, 2);
      assert.equal(v2.length, v1.length);
      assert.notEqual(sha256(v2), sha256(v1));

      assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
        sourceCount: 1,
        backupCount: 1,
        missing: [],
        mismatched: [c.key],
        unverified: [],
        missingCount: 0,
        mismatchedCount: 1,
        unverifiedCount: 0,
      });
      const counter = countCommands(s3);
      const resync = await syncBucket(options);
      assert.equal(resync.filesCopied, 1);
      assert.ok(counter.copies() >= 1);
      assert.equal(sha256(await readBytes(s3, BACKUP, `${SRC}/${c.key}`)), sha256(v2));
      assert.equal(
        (await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP })).mismatchedCount,
        0,
        "the new copy matches",
      );
    });
  }
});
