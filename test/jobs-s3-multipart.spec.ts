import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../runtime/aws/clients";
import { runBackups } from "../runtime/jobs";
import { S3_JOB_MULTIPART_THRESHOLD, S3_JOB_PART_SIZE } from "../runtime/jobs/s3";
import { partRanges } from "../runtime/jobs/s3-copy";
import { SOURCE_ETAG_METADATA } from "../runtime/jobs/s3-sync";
import { BACKUP_BUCKET, motoS3, testDeps, useJobsAws } from "./jobs-fixtures";

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

describe("S3 backup job: large objects in parts", function () {
  this.timeout(120_000);
  const aws = useJobsAws({ backupBucket: true });
  let s3: S3Client;

  beforeEach(async () => {
    s3 = motoS3();
    await s3.send(new CreateBucketCommand({ Bucket: "media" }));
  });

  it("must keep every request of a copy up to 5 GiB within the request timeout at 10 MiB/s", () => {
    assert.ok(S3_JOB_MULTIPART_THRESHOLD <= GIB, "objects above 1 GiB are copied in parts");
    const seconds = DEFAULT_REQUEST_TIMEOUT_MS / 1000;
    assert.ok(S3_JOB_MULTIPART_THRESHOLD / (10 * MIB) > seconds, "a whole object would not fit");
    for (const size of [S3_JOB_MULTIPART_THRESHOLD + 1, 5 * GIB, 100 * GIB]) {
      for (const { start, end } of partRanges(size, S3_JOB_PART_SIZE)) {
        assert.ok((end - start + 1) / (10 * MIB) <= seconds, `a part of ${size} bytes fits in ${seconds} s`);
      }
    }
  });

  it("must copy an object above the job's threshold with UploadPartCopy in its part size", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: "media", Key: "video.mp4", Body: Buffer.alloc(6 * MIB, 1) }),
    );
    // moto cannot hold a 1.5 GiB object: the listing claims one, the copy requests are watched.
    const size = 1.5 * GIB;
    const sent: { command: string; range?: string }[] = [];
    const client = new S3Client({ forcePathStyle: true });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Bucket?: string; CopySourceRange?: string };
        if (context.commandName?.includes("Copy"))
          sent.push({ command: context.commandName, range: input.CopySourceRange });
        const result = await next(args);
        if (context.commandName === "ListObjectsV2Command" && input.Bucket === "media") {
          for (const o of (result.output as ListObjectsV2CommandOutput).Contents ?? []) o.Size = size;
        }
        return result;
      },
      { step: "initialize", name: "claim-large-object" },
    );
    const deps = testDeps({ ...aws.fixture.env, S3_SOURCE_BUCKETS: "media" }, { s3: client });
    await runBackups("S3", {}, deps);
    assert.ok(!sent.some((s) => s.command === "CopyObjectCommand"), "no single CopyObject");
    const parts = sent.filter((s) => s.command === "UploadPartCopyCommand").map((s) => s.range);
    // The real object is smaller than its claimed size, so moto refuses the later ranges; what
    // matters is how the job cut the object.
    assert.ok(parts.length >= 1);
    for (const range of parts) {
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(range ?? "")!;
      assert.ok(Number(end) - Number(start) + 1 <= S3_JOB_PART_SIZE, `${range} within the part size`);
    }
    assert.ok(parts.includes(`bytes=0-${S3_JOB_PART_SIZE - 1}`), parts.join(", "));
  });

  it("must pass lowered multipart bounds through, so moto copies in parts and the re-sync skips the copy", async () => {
    const body = Buffer.alloc(11 * MIB, 7);
    await s3.send(new PutObjectCommand({ Bucket: "media", Key: "big.bin", Body: body }));
    const deps = testDeps({ ...aws.fixture.env, S3_SOURCE_BUCKETS: "media" });
    const bounds = { s3: { multipartThresholdBytes: 6 * MIB, partSizeBytes: 5 * MIB } };
    const [first] = await runBackups("S3", bounds, deps);
    assert.equal(first!.status, "SUCCEEDED");
    assert.equal(first!.metrics?.filesCopied, 1);
    const source = await s3.send(new HeadObjectCommand({ Bucket: "media", Key: "big.bin" }));
    const copy = await s3.send(new HeadObjectCommand({ Bucket: BACKUP_BUCKET, Key: "media/big.bin" }));
    assert.match(copy.ETag ?? "", /-3"$/, "three parts of at most 5 MiB");
    assert.equal(copy.ContentLength, body.length);
    assert.equal(copy.Metadata?.[SOURCE_ETAG_METADATA], source.ETag?.replace(/"/g, ""));
    const [second] = await runBackups("S3", bounds, deps);
    assert.equal(second!.metrics?.filesCopied, 0);
    assert.equal(second!.status, "SUCCEEDED");
  });
});
