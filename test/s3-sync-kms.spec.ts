import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type CopyObjectCommandInput,
  type PutObjectCommandInput,
} from "@aws-sdk/client-s3";
import { etagPairsCheckpointKey, etagPairsKey } from "../runtime/jobs/s3-etag-pairs";
import { SOURCE_ETAG_METADATA, compareBackup, syncBucket } from "../runtime/jobs/s3-sync";
import { createKmsBucket, emulateKmsEtags, enforceCopySourceIfMatch } from "./support/kms-etags";
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

/** The CopyObject requests sent, in order, as the SDK got them. */
function recordCopies(s3: S3Client): CopyObjectCommandInput[] {
  const copies: CopyObjectCommandInput[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "CopyObjectCommand")
        copies.push({ ...(args.input as CopyObjectCommandInput) });
      return next(args);
    },
    { step: "initialize", name: "recordCopies" },
  );
  return copies;
}

async function storedPairs(s3: S3Client): Promise<[string, string][]> {
  return (JSON.parse(await readText(s3, BACKUP, etagPairsKey(`${SRC}/`))) as { pairs: [string, string][] })
    .pairs;
}

async function deletePairs(s3: S3Client): Promise<void> {
  await s3.send(
    new DeleteObjectsCommand({ Bucket: BACKUP, Delete: { Objects: [{ Key: etagPairsKey(`${SRC}/`) }] } }),
  );
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? "");
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

  it("must copy each new object with one CopyObject that keeps its metadata, record the pair, and re-sync without a copy or a HEAD", async () => {
    await put(s3, SRC, [
      {
        Key: "a.txt",
        Body: "alpha",
        ContentType: "text/plain",
        CacheControl: "max-age=60",
        ContentDisposition: "inline",
        Metadata: { owner: "devops" },
      },
      { Key: "b.txt", Body: "bravo" },
      { Key: "dir/c.txt", Body: "charlie" },
    ]);
    const counter = countCommands(s3);
    const copies = recordCopies(s3);

    const first = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });

    assert.equal(first.filesCopied, 3);
    assert.equal(counter.count("CopyObjectCommand"), 3, "one request per new object");
    assert.equal(counter.count("HeadObjectCommand"), 0, "no HEAD of the source for its metadata");
    assert.equal(counter.count("GetBucketEncryptionCommand"), 0, "the bucket's encryption changes nothing");
    assert.equal(counter.count("PutObjectCommand"), 1, "the pairs of ETags, once at the end");
    const file = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: etagPairsKey(`${SRC}/`) }));
    assert.equal(file.ContentType, "application/json");
    assert.deepEqual(
      copies.map((c) => [c.Key, c.MetadataDirective, c.CopySourceIfMatch]),
      [
        [`${SRC}/a.txt`, "COPY", `"${md5("alpha")}"`],
        [`${SRC}/b.txt`, "COPY", `"${md5("bravo")}"`],
        [`${SRC}/dir/c.txt`, "COPY", `"${md5("charlie")}"`],
      ],
      "each copy conditional on the listed source ETag",
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/a.txt` }));
    assert.notEqual(head.ETag, `"${md5("alpha")}"`, "S3 gives an SSE-KMS copy an ETag that is not the MD5");
    assert.equal(head.ContentType, "text/plain");
    assert.equal(head.CacheControl, "max-age=60");
    assert.equal(head.ContentDisposition, "inline");
    assert.deepEqual(head.Metadata, { owner: "devops" }, "the source's metadata, nothing added");
    assert.equal(await readText(s3, BACKUP, `${SRC}/dir/c.txt`), "charlie");
    const backupEtag = async (key: string) =>
      ((await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/${key}` }))).ETag ?? "").replace(
        /"/g,
        "",
      );
    const expected: [string, string][] = [
      [await backupEtag("a.txt"), md5("alpha")],
      [await backupEtag("b.txt"), md5("bravo")],
      [await backupEtag("dir/c.txt"), md5("charlie")],
    ];
    assert.deepEqual(
      await storedPairs(s3),
      expected.sort(([x], [y]) => (x < y ? -1 : 1)),
    );

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
      unverified: [],
      missingCount: 0,
      mismatchedCount: 0,
      unverifiedCount: 0,
    });
    assert.equal(counter.count("HeadObjectCommand"), 0, "the integrity check decides from the listings too");
  });

  it("must copy a same-size edit again with one CopyObject and no HEAD, the pair naming the old version", async () => {
    await put(s3, SRC, [{ Key: "ledger.csv", Body: "a,1" }]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    await put(s3, SRC, [{ Key: "ledger.csv", Body: "a,9" }]);
    const counter = countCommands(s3);

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.equal(result.filesCopied, 1);
    assert.equal(counter.count("CopyObjectCommand"), 1);
    assert.equal(counter.count("HeadObjectCommand"), 0, "the known pair already says the copy is of a,1");
    assert.equal(await readText(s3, BACKUP, `${SRC}/ledger.csv`), "a,9");
    assert.deepEqual(
      (await storedPairs(s3)).map(([, source]) => source),
      [md5("a,9")],
      "the old copy's pair drops out",
    );
  });

  it("must fail the copy of a source changed since it was listed, as S3 answers CopySourceIfMatch, and copy it next run", async () => {
    await put(s3, SRC, [
      { Key: "moving.txt", Body: "first" },
      { Key: "still.txt", Body: "still" },
    ]);
    // Someone writes the object after the listing, before its copy.
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { CopySource?: string };
        if (context.commandName === "CopyObjectCommand" && input.CopySource?.endsWith("/moving.txt")) {
          await new S3Client({ forcePathStyle: true }).send(
            new PutObjectCommand({ Bucket: SRC, Key: "moving.txt", Body: "second" }),
          );
        }
        return next(args);
      },
      { step: "initialize", name: "writeBeforeCopy", priority: "high" },
    );
    enforceCopySourceIfMatch(s3, new S3Client({ forcePathStyle: true }));

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });

    assert.equal(result.filesCopied, 1);
    assert.deepEqual(result.failures, [
      {
        key: "moving.txt",
        message: "PreconditionFailed: At least one of the pre-conditions you specified did not hold",
      },
    ]);
    assert.deepEqual(
      (await storedPairs(s3)).map(([, source]) => source),
      [md5("still")],
      "no pair for a copy that was not made",
    );
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

  it("must copy again, once and with its source ETag, a copy whose pair is lost, after which a lost file costs only HEADs", async () => {
    await put(s3, SRC, [
      { Key: "x", Body: "xray", ContentType: "text/plain", Metadata: { team: "ops" } },
      { Key: "y", Body: "yankee" },
    ]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    await deletePairs(s3);
    const counter = countCommands(s3);

    assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      sourceCount: 2,
      backupCount: 2,
      missing: [],
      mismatched: [],
      unverified: ["x", "y"],
      missingCount: 0,
      mismatchedCount: 0,
      unverifiedCount: 2,
    });

    counter.reset();
    const copies = recordCopies(s3);
    const afterLoss = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });
    assert.equal(afterLoss.filesCopied, 2, "nothing vouches for the copies: copied again");
    assert.deepEqual(
      copies.map((c) => [c.Key, c.MetadataDirective, c.Metadata?.[SOURCE_ETAG_METADATA]]),
      [
        [`${SRC}/x`, "REPLACE", md5("xray")],
        [`${SRC}/y`, "REPLACE", md5("yankee")],
      ],
    );
    assert.equal(
      counter.count("HeadObjectCommand"),
      4,
      "the copy's HEAD, then the source's for its metadata",
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/x` }));
    assert.equal(head.ContentType, "text/plain");
    assert.deepEqual(head.Metadata, { team: "ops", [SOURCE_ETAG_METADATA]: md5("xray") });

    await deletePairs(s3);
    counter.reset();
    const secondLoss = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(secondLoss.filesSkipped, 2);
    assert.equal(counter.copies(), 0, "the copies' metadata now tells");
    assert.equal(counter.count("HeadObjectCommand"), 2);

    counter.reset();
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(counter.count("HeadObjectCommand"), 0, "and the pairs are stored again");
  });

  it("must store the pairs during a long run, so a task that dies re-copies only what it copied since the last checkpoint", async () => {
    await put(
      s3,
      SRC,
      Array.from({ length: 30 }, (_, i) => ({ Key: `o${String(i).padStart(2, "0")}`, Body: `body ${i}` })),
    );
    // The task loses S3 for good after its 25th copy, as when ECS kills it: nothing after reaches S3.
    let copied = 0;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (copied >= 25) throw new Error("connect ECONNREFUSED: the task is gone");
        const out = await next(args);
        if (context.commandName === "CopyObjectCommand") copied += 1;
        return out;
      },
      { step: "initialize", name: "taskDies", priority: "high" },
    );
    const checkpoint = { everyPairs: 10, everyMs: 60_000 };
    // How the run ends does not matter: its end (the file of pairs) never reaches S3.
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1, checkpoint }).catch(
      () => undefined,
    );

    const next = new S3Client({ forcePathStyle: true });
    emulateKmsEtags(next, [BACKUP]);
    assert.deepEqual(
      await listKeys(next, BACKUP, ".drox-backup/"),
      [etagPairsCheckpointKey(`${SRC}/`, 0), etagPairsCheckpointKey(`${SRC}/`, 1)],
      "two checkpoints of ten pairs, no file",
    );
    const counter = countCommands(next);
    const puts: string[] = [];
    next.middlewareStack.add(
      (nextHandler, context) => async (args) => {
        if (context.commandName === "PutObjectCommand") puts.push((args.input as { Key?: string }).Key ?? "");
        return nextHandler(args);
      },
      { step: "initialize", name: "recordPuts" },
    );
    const rest = await syncBucket({ s3: next, sourceBucket: SRC, backupBucket: BACKUP, checkpoint });

    assert.equal(rest.filesSkipped, 20, "the checkpointed copies are known");
    assert.equal(rest.filesCopied, 10, "5 copied after the last checkpoint, 5 never reached");
    assert.equal(counter.count("HeadObjectCommand"), 10, "the 5 unrecorded copies and their sources only");
    assert.equal((await storedPairs(next)).length, 30, "the file holds every pair, the checkpoints' too");
    assert.deepEqual(
      puts,
      [etagPairsKey(`${SRC}/`), etagPairsCheckpointKey(`${SRC}/`, 0), etagPairsKey(`${SRC}/`)],
      "slot 0 held pairs the file did not: the file first, then the slot, then the file at the end",
    );

    counter.reset();
    const gets: { Key?: string; IfNoneMatch?: string }[] = [];
    next.middlewareStack.add(
      (nextHandler, context) => async (args) => {
        if (context.commandName === "GetObjectCommand") gets.push({ ...(args.input as { Key?: string }) });
        return nextHandler(args);
      },
      { step: "initialize", name: "recordGets" },
    );
    const third = await syncBucket({ s3: next, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(third.filesSkipped, 30);
    assert.equal(counter.count("HeadObjectCommand") + counter.copies(), 0);
    // The file names the slots it holds by ETag: slot 00 is asked for only if it changed since (S3
    // answers 304 without the body), and no further slot is asked for.
    const slot0 = await next.send(
      new HeadObjectCommand({ Bucket: BACKUP, Key: etagPairsCheckpointKey(`${SRC}/`, 0) }),
    );
    assert.deepEqual(gets, [
      { Bucket: BACKUP, Key: etagPairsKey(`${SRC}/`) },
      { Bucket: BACKUP, Key: etagPairsCheckpointKey(`${SRC}/`, 0), IfNoneMatch: slot0.ETag },
    ]);
    assert.equal(slot0.ContentType, "application/json");
  });

  it("must checkpoint the pairs after a while even when few copies finish", async () => {
    await put(s3, SRC, [
      { Key: "a", Body: "one" },
      { Key: "b", Body: "two" },
      { Key: "slow", Body: "three" },
    ]);
    // Pairs checkpointed so far; resolves once the first two copies' are.
    let checkpointedPairs = 0;
    let bothKept!: () => void;
    const written = new Promise<void>((resolve) => (bothKept = resolve));
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string; CopySource?: string; Body?: string };
        if (context.commandName === "PutObjectCommand" && input.Key?.includes("pairs.checkpoint-")) {
          const out = await next(args);
          checkpointedPairs += (JSON.parse(input.Body ?? "{}") as { pairs: unknown[] }).pairs.length;
          if (checkpointedPairs === 2) bothKept();
          return out;
        }
        // The last copy waits until the first two pairs are checkpointed: only time can trigger it.
        if (context.commandName === "CopyObjectCommand" && input.CopySource?.endsWith("/slow")) await written;
        return next(args);
      },
      { step: "initialize", name: "slowCopy", priority: "high" },
    );

    const result = await syncBucket({
      s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      concurrency: 1,
      checkpoint: { everyPairs: 1000, everyMs: 50 },
    });

    assert.equal(result.filesCopied, 3);
    // Reaching here at all proves the time-based checkpoint: the last copy waited for it.
    assert.equal((await storedPairs(s3)).length, 3);
  });

  it("must leave alone, and report, the copies it cannot verify when the stored pairs cannot be read", async () => {
    await put(s3, SRC, [
      { Key: "p", Body: "papa" },
      { Key: "q", Body: "quebec" },
    ]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    const stored = await storedPairs(s3);
    await put(s3, SRC, [{ Key: "r", Body: "romeo" }]);
    let deny = true;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (deny && context.commandName === "GetObjectCommand" && input.Key === etagPairsKey(`${SRC}/`)) {
          throw new S3ServiceException({
            name: "AccessDenied",
            $fault: "client",
            $metadata: { httpStatusCode: 403 },
            message: "Access Denied",
          });
        }
        return next(args);
      },
      { step: "initialize", name: "denyPairs", priority: "high" },
    );
    const counter = countCommands(s3);

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });

    const left =
      "not verified and left as is: nothing records which source version the backup copy holds, and the " +
      "stored pairs of ETags could not be read (AccessDenied: Access Denied)";
    assert.equal(result.filesCopied, 1, "the new object is copied");
    assert.deepEqual(result.failures, [
      { key: "p", message: left },
      { key: "q", message: left },
    ]);
    assert.equal(counter.count("CopyObjectCommand"), 1, "no copy made twice");
    const compared = await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(compared.pairsUnreadable, "AccessDenied: Access Denied");
    assert.deepEqual([compared.unverified, compared.mismatched], [["p", "q"], []]);

    deny = false;
    assert.deepEqual(await storedPairs(s3), stored, "the file it could not read is not replaced");
    counter.reset();
    const after = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(after.filesSkipped, 3, "the file and the checkpoint with r's pair");
    assert.equal(counter.count("HeadObjectCommand") + counter.copies(), 0);
  });

  it("must not call intact, and copy again, a backup object replaced by other content of the same size", async () => {
    await put(s3, SRC, [{ Key: "doc.txt", Body: "original" }]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    // Someone overwrites the copy: its ETag is no longer the one the pair names.
    await put(s3, BACKUP, [{ Key: `${SRC}/doc.txt`, Body: "tampered" }]);

    const compared = await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    // Under SSE-KMS neither ETag is an MD5 of the bytes: the check cannot tell, and says so.
    assert.deepEqual([compared.unverified, compared.mismatched], [["doc.txt"], []]);
    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(result.filesCopied, 1);
    assert.equal(await readText(s3, BACKUP, `${SRC}/doc.txt`), "original");
    assert.equal(
      (await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP })).unverifiedCount,
      0,
      "the new copy's pair is known",
    );
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
