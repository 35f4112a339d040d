import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from "@aws-sdk/client-s3";
import { etagPairsKey } from "../runtime/jobs/s3-etag-pairs";
import { SOURCE_ETAG_METADATA, compareBackup, syncBucket } from "../runtime/jobs/s3-sync";
import { createKmsBucket, emulateKmsEtags } from "./support/kms-etags";
import { useMoto, type Moto } from "./support/moto";
import { countCommands } from "./support/s3-requests";

const SRC = "drox-src";
const BACKUP = "drox-backup-kms";
const md5 = (body: string) => createHash("md5").update(body).digest("hex");

async function put(s3: S3Client, bucket: string, objects: Omit<PutObjectCommandInput, "Bucket">[]) {
  for (const o of objects) await s3.send(new PutObjectCommand({ Bucket: bucket, ...o }));
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString()) ?? "";
}

describe("S3 sync into an SSE-KMS backup bucket (against moto, with S3's ETags)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let s3: S3Client;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    s3 = new S3Client({ forcePathStyle: true });
    emulateKmsEtags(s3, [BACKUP]);
    await s3.send(new CreateBucketCommand({ Bucket: SRC }));
    await createKmsBucket(s3, BACKUP);
  });

  it("must see moto answer MD5 ETags in an SSE-KMS bucket, which is why its answers are rewritten here", async () => {
    const plain = new S3Client({ forcePathStyle: true });
    await plain.send(new PutObjectCommand({ Bucket: BACKUP, Key: "probe", Body: "probe" }));
    const raw = await plain.send(new HeadObjectCommand({ Bucket: BACKUP, Key: "probe" }));
    assert.equal(raw.ServerSideEncryption, "aws:kms");
    assert.equal(raw.ETag, `"${md5("probe")}"`, "moto: the MD5, unlike S3");
    const emulated = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: "probe" }));
    assert.notEqual(emulated.ETag, raw.ETag);
  });

  it("must copy each new object once, carrying the source ETag, and re-sync without a copy or a HEAD", async () => {
    await put(s3, SRC, [
      { Key: "a.txt", Body: "alpha", ContentType: "text/plain", Metadata: { owner: "devops" } },
      { Key: "b.txt", Body: "bravo" },
      { Key: "dir/c.txt", Body: "charlie" },
    ]);
    const counter = countCommands(s3);

    const first = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.equal(first.filesCopied, 3);
    assert.equal(counter.count("CopyObjectCommand"), 3, "one copy per object, not a COPY and a REPLACE");
    assert.equal(counter.count("HeadObjectCommand"), 3, "one HEAD of each source for the metadata to carry");
    assert.equal(counter.count("GetBucketEncryptionCommand"), 1, "the bucket's encryption, once a run");
    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/a.txt` }));
    assert.notEqual(head.ETag, `"${md5("alpha")}"`, "S3 gives an SSE-KMS copy an ETag that is not the MD5");
    assert.equal(head.ContentType, "text/plain");
    assert.deepEqual(head.Metadata, { owner: "devops", [SOURCE_ETAG_METADATA]: md5("alpha") });
    assert.equal(await readText(s3, BACKUP, `${SRC}/dir/c.txt`), "charlie");

    counter.reset();
    const again = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(again.filesSkipped, 3);
    assert.equal(counter.copies(), 0);
    assert.equal(counter.count("HeadObjectCommand"), 0, "no HEAD per object on a re-sync");
    assert.equal(counter.count("PutObjectCommand"), 0, "the pairs of ETags are not rewritten unchanged");

    counter.reset();
    assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      sourceCount: 3,
      backupCount: 3,
      missing: [],
      mismatched: [],
      missingCount: 0,
      mismatchedCount: 0,
    });
    assert.equal(counter.count("HeadObjectCommand"), 0, "the integrity check decides from the listings too");
  });

  it("must learn from the first copy's answer that the bucket encrypts with KMS when its encryption cannot be read", async () => {
    await put(s3, SRC, [
      { Key: "1", Body: "one" },
      { Key: "2", Body: "two" },
      { Key: "3", Body: "three" },
    ]);
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetBucketEncryptionCommand") {
          throw new S3ServiceException({
            name: "AccessDenied",
            $fault: "client",
            $metadata: { httpStatusCode: 403 },
            message: "Access Denied",
          });
        }
        return next(args);
      },
      { step: "initialize", name: "denyGetBucketEncryption" },
    );
    const counter = countCommands(s3);

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });

    assert.equal(result.filesCopied, 3);
    assert.equal(counter.count("CopyObjectCommand"), 4, "the first object twice, then once each");
    for (const [key, body] of [
      ["1", "one"],
      ["2", "two"],
      ["3", "three"],
    ] as const) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/${key}` }));
      assert.equal(head.Metadata?.[SOURCE_ETAG_METADATA], md5(body));
    }
  });

  it("must remember the copies an aborted run made, so the next run does not HEAD them", async () => {
    await put(
      s3,
      SRC,
      Array.from({ length: 60 }, (_, i) => ({ Key: `o${String(i).padStart(2, "0")}`, Body: `body ${i}` })),
    );
    const controller = new AbortController();
    await assert.rejects(
      syncBucket({
        s3,
        sourceBucket: SRC,
        backupBucket: BACKUP,
        concurrency: 4,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.copied >= 10) controller.abort(new Error("job timeout"));
        },
      }),
      /was aborted after \d+ objects copied: job timeout/,
    );
    let backupHeads = 0;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Bucket?: string };
        if (context.commandName === "HeadObjectCommand" && input.Bucket === BACKUP) backupHeads += 1;
        return next(args);
      },
      { step: "initialize", name: "countBackupHeads" },
    );

    const rest = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.ok(rest.filesSkipped >= 10, `${rest.filesSkipped} copies kept from the aborted run`);
    assert.equal(rest.filesSkipped + rest.filesCopied, 60);
    // Copies in flight at the abort (4 at most) may have landed with their answers dropped: those
    // alone need a HEAD; the ten or more the aborted run saw finish are known by their pairs.
    assert.ok(backupHeads <= 4, `${backupHeads} HEADs of backup copies`);
  });

  it("must fall back to a HEAD when the pairs of ETags are lost, and remember them again", async () => {
    await put(s3, SRC, [
      { Key: "x", Body: "xray" },
      { Key: "y", Body: "yankee" },
    ]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    await s3.send(
      new DeleteObjectsCommand({ Bucket: BACKUP, Delete: { Objects: [{ Key: etagPairsKey(`${SRC}/`) }] } }),
    );
    const counter = countCommands(s3);

    const afterLoss = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(afterLoss.filesSkipped, 2);
    assert.equal(counter.copies(), 0, "the stored source ETags still tell the copies are current");
    assert.equal(counter.count("HeadObjectCommand"), 2);

    counter.reset();
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(counter.count("HeadObjectCommand"), 0);
  });

  it("must copy again a backup object replaced by other content of the same size", async () => {
    await put(s3, SRC, [{ Key: "doc.txt", Body: "original" }]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    // Someone overwrites the copy: its ETag is no longer the one the pair names.
    await put(s3, BACKUP, [{ Key: `${SRC}/doc.txt`, Body: "tampered" }]);

    assert.deepEqual((await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP })).mismatched, [
      "doc.txt",
    ]);
    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(result.filesCopied, 1);
    assert.equal(await readText(s3, BACKUP, `${SRC}/doc.txt`), "original");
  });

  it("must name the source bucket and the grant when a source object's KMS key refuses the copy", async () => {
    await put(s3, SRC, [
      { Key: "open.txt", Body: "readable" },
      { Key: "sealed.bin", Body: "customer key" },
    ]);
    // moto does not enforce KMS permissions: answer as S3 does for a role without kms:Decrypt.
    const denial =
      "User: arn:aws:sts::123456789012:assumed-role/drox-task/abc is not authorized to perform: " +
      "kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/1234abcd because no " +
      "identity-based policy allows the kms:Decrypt action";
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { CopySource?: string };
        if (context.commandName === "CopyObjectCommand" && input.CopySource?.endsWith("/sealed.bin")) {
          throw new S3ServiceException({
            name: "AccessDenied",
            $fault: "client",
            $metadata: { httpStatusCode: 403 },
            message: denial,
          });
        }
        return next(args);
      },
      { step: "initialize", name: "kmsDenied" },
    );

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.equal(result.filesCopied, 1);
    assert.deepEqual(result.failures, [
      {
        key: "sealed.bin",
        message:
          `AccessDenied: ${denial} (source bucket "${SRC}" encrypts this object with a KMS key the task ` +
          "cannot use: allow the task role kms:Decrypt on that key, and in the key's policy too when the " +
          "key belongs to another account)",
      },
    ]);
  });
});
