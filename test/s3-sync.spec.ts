import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type PutObjectCommandInput,
} from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { DroxError } from "../runtime/contract/errors";
import { etagPairsKey } from "../runtime/jobs/s3-etag-pairs";
import type { JoinedEntry } from "../runtime/jobs/s3-listing";
import {
  MAX_FAILURES_KEPT,
  MAX_KEYS_LISTED,
  SOURCE_ETAG_METADATA,
  compareBackup,
  forEachBounded,
  syncBucket,
  type S3SyncProgress,
} from "../runtime/jobs/s3-sync";
import { useMoto, type Moto } from "./support/moto";
import { countCommands } from "./support/s3-requests";
import { fail, OFFLINE, script, type Answer } from "./support/scripted-aws";

const SRC = "drox-src";
const BACKUP = "drox-backup-store";
const MiB = 1024 * 1024;

function motoS3(): S3Client {
  // moto serves buckets by path, not by virtual host.
  return new S3Client({ forcePathStyle: true });
}

async function createBuckets(s3: S3Client, ...names: string[]): Promise<void> {
  for (const name of names) await s3.send(new CreateBucketCommand({ Bucket: name }));
}

async function putObjects(s3: S3Client, bucket: string, objects: Omit<PutObjectCommandInput, "Bucket">[]) {
  const limit = pLimit(32);
  await Promise.all(objects.map((o) => limit(() => s3.send(new PutObjectCommand({ Bucket: bucket, ...o })))));
}

async function readBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
}

async function listAllKeys(s3: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** A source object uploaded in two parts, so its ETag is `<md5>-2` and not an MD5 of the content. */
async function putMultipartObject(s3: S3Client, bucket: string, key: string, meta: Record<string, string>) {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: "application/x-tar",
      CacheControl: "max-age=60",
      Metadata: meta,
    }),
  );
  const parts = [Buffer.alloc(5 * MiB, "a"), Buffer.from("tail")];
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) {
    const out = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: body }),
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
  return Buffer.concat(parts);
}

/**
 * syncBucket's own decisions, against S3 answers scripted at the client (no moto, milliseconds):
 * the settings it refuses, what it keeps of many failures, a bucket vanishing in the middle of a
 * run, and which objects it hands to S3 Batch Operations.
 */
describe("S3 sync (scripted S3 answers)", () => {
  type Row = [key: string, size: number, etag: string];
  const etag = (n: number) => `"${n.toString(16).padStart(32, "0")}"`;
  const noSuch = (name: string) =>
    new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: 404 }, message: name });

  /** A source and a backup listed from `source` and `backup` (keys relative to the prefix). */
  function buckets(source: Row[], backup: Row[] = [], answers: Record<string, Answer> = {}) {
    const s3 = new S3Client(OFFLINE);
    const sent = script(s3, {
      GetObjectCommand: fail(noSuch("NoSuchKey")),
      PutObjectCommand: () => ({ ETag: etag(0) }),
      ListObjectsV2Command: (input) => {
        const rows = input.Bucket === SRC ? source : backup.map(([k, n, e]): Row => [`${SRC}/${k}`, n, e]);
        return { Contents: rows.map(([Key, Size, ETag]) => ({ Key, Size, ETag })), IsTruncated: false };
      },
      CopyObjectCommand: (input) => {
        const key = String(input.Key).slice(SRC.length + 1);
        return { CopyObjectResult: { ETag: source.find(([k]) => k === key)?.[2] } };
      },
      ...answers,
    });
    return { s3, sent };
  }

  it("must refuse a concurrency that is not a positive integer, for a sync and a comparison", async () => {
    const { s3 } = buckets([]);
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      const message = `S3 sync concurrency must be a positive integer, got ${concurrency}`;
      await assert.rejects(syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency }), {
        name: "ConfigError",
        message,
      });
      await assert.rejects(compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency }), {
        name: "ConfigError",
        message,
      });
    }
    const one = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });
    assert.equal(one.filesTotal, 0);
  });

  it("must refuse to back a bucket up into itself, before any request, and accept any other bucket", async () => {
    const { s3, sent } = buckets([]);
    await assert.rejects(syncBucket({ s3, sourceBucket: SRC, backupBucket: SRC }), {
      name: "ConfigError",
      message: `S3 source bucket "${SRC}" is also the backup bucket: a bucket cannot back itself up`,
    });
    assert.deepEqual(sent, [], "nothing sent");
    const other = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });
    assert.equal(other.filesTotal, 0);
  });

  it(`must keep the first ${MAX_FAILURES_KEPT} failures in the order they happened and count them all`, async () => {
    const rows = Array.from({ length: MAX_FAILURES_KEPT + 2 }, (_, i): Row => [
      `k${String(i).padStart(5, "0")}`,
      1,
      etag(i),
    ]);
    const denied = new S3ServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: "Access Denied",
    });
    const { s3 } = buckets(rows, [], { CopyObjectCommand: fail(denied) });
    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });
    assert.equal(result.filesFailed, MAX_FAILURES_KEPT + 2);
    assert.equal(result.failures.length, MAX_FAILURES_KEPT);
    assert.deepEqual(result.failures[0], { key: "k00000", message: "AccessDenied: Access Denied" });
    assert.equal(result.failures.at(-1)?.key, rows[MAX_FAILURES_KEPT - 1]![0]);
  });

  it("must end the run naming the backup bucket when it vanishes mid-run, and go on when both buckets still answer", async () => {
    const rows: Row[] = [
      ["a", 1, etag(1)],
      ["b", 1, etag(2)],
      ["c", 1, etag(3)],
    ];
    const gone = buckets(rows, [], {
      CopyObjectCommand: fail(noSuch("NoSuchBucket")),
      HeadBucketCommand: (input) => {
        if (input.Bucket === BACKUP) throw noSuch("NotFound");
        return {};
      },
    });
    await assert.rejects(
      syncBucket({ s3: gone.s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 }),
      {
        name: "DroxError",
        message: `Cannot copy into S3 backup bucket "${BACKUP}": the bucket does not exist (NotFound)`,
      },
    );
    assert.deepEqual(
      gone.sent.filter((s) => s.command === "HeadBucketCommand").map((s) => s.input.Bucket),
      [SRC, BACKUP],
      "each bucket looked at once",
    );
    assert.equal(gone.sent.filter((s) => s.command === "CopyObjectCommand").length, 1, "no copy after it");

    const there = buckets(rows, [], {
      CopyObjectCommand: fail(noSuch("NoSuchBucket")),
      HeadBucketCommand: () => ({}),
    });
    const result = await syncBucket({
      s3: there.s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      concurrency: 1,
    });
    assert.equal(result.filesFailed, 3);
    assert.deepEqual(
      result.failures.map((f) => f.key),
      ["a", "b", "c"],
    );
  });

  it("must end the run naming the source bucket when it vanishes mid-run, without looking at the backup bucket", async () => {
    const { s3, sent } = buckets([["a", 1, etag(1)]], [], {
      CopyObjectCommand: fail(noSuch("NoSuchBucket")),
      HeadBucketCommand: fail(noSuch("NotFound")),
    });
    await assert.rejects(syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 }), {
      name: "DroxError",
      message: `Cannot copy from S3 source bucket "${SRC}": the bucket does not exist (NotFound)`,
    });
    assert.deepEqual(
      sent.filter((s) => s.command === "HeadBucketCommand").map((s) => s.input.Bucket),
      [SRC],
    );
  });

  it("must go on when a bucket it looks at after a NoSuchBucket answers otherwise than 404", async () => {
    const forbidden = new S3ServiceException({
      name: "Forbidden",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: "Forbidden",
    });
    const { s3, sent } = buckets(
      [
        ["a", 1, etag(1)],
        ["b", 1, etag(2)],
      ],
      [],
      { CopyObjectCommand: fail(noSuch("NoSuchBucket")), HeadBucketCommand: fail(forbidden) },
    );
    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 1 });
    assert.equal(result.filesFailed, 2);
    assert.deepEqual(
      result.failures.map((f) => f.key),
      ["a", "b"],
    );
    assert.deepEqual(
      sent.filter((s) => s.command === "HeadBucketCommand").map((s) => s.input.Bucket),
      [SRC, BACKUP],
      "each bucket looked at once",
    );
  });

  it("must say it was aborted, with the reason only when it is an Error", async () => {
    const { s3, sent } = buckets([["a", 1, etag(1)]]);
    const controller = new AbortController();
    controller.abort("operator");
    await assert.rejects(
      syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, signal: controller.signal }),
      {
        name: "DroxError",
        message: `S3 sync of bucket "${SRC}" was aborted after 0 objects copied`,
      },
    );
    assert.deepEqual(sent, [], "nothing sent for a run aborted before it started");
  });

  it("must hand to S3 Batch Operations the objects without a copy of their size beyond the first `after`, up to `maxBytes` each", async () => {
    const source: Row[] = [
      ["a", 5, etag(1)],
      ["b", 5, etag(2)],
      ["c", 10, etag(3)],
      ["d", 11, etag(4)],
      ["e", 5, etag(5)],
      ["f", 5, etag(6)],
      ["g", 6, etag(7)],
    ];
    const backup: Row[] = [
      ["e", 5, etag(5)],
      ["f", 5, etag(60)],
      ["g", 7, etag(7)],
    ];
    const { s3, sent } = buckets(source, backup, {
      HeadObjectCommand: () => ({ ETag: etag(60), Metadata: {} }),
    });
    const handed: string[] = [];
    const result = await syncBucket({
      s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      concurrency: 1,
      handOff: { after: 1, maxBytes: 10, add: async (o) => void handed.push(o.key) },
    });
    assert.deepEqual(
      handed,
      ["b", "c", "g"],
      "a copied as the first, d over maxBytes, e current, f same size",
    );
    assert.equal(result.filesHandedOff, 3);
    assert.deepEqual(
      sent.filter((s) => s.command === "CopyObjectCommand").map((s) => s.input.Key),
      [`${SRC}/a`, `${SRC}/d`, `${SRC}/f`],
    );
    assert.equal(result.filesSkipped, 1);
    assert.equal(result.filesTotal, 7);
    assert.equal(result.sizeBytes, 47);
  });
  it("must list the first mismatched and unverified keys in key order, however the HEADs finish, and count them all", async () => {
    const n = 2 * MAX_KEYS_LISTED + 30;
    const key = (i: number) => `k${String(i).padStart(4, "0")}`;
    const source = Array.from({ length: 2 * n }, (_, i): Row => [key(i), 1, `"${"e".repeat(32)}-2"`]);
    const backup = source.map(([k]): Row => [k, 1, etag(7)]);
    const { s3 } = buckets(source, backup, {
      HeadObjectCommand: async (input) => {
        const i = Number(String(input.Key).slice(-4));
        // Later keys answer first.
        await new Promise((resolve) => setTimeout(resolve, (2 * n - i) % 7));
        return i % 2 === 0
          ? { ETag: etag(7), Metadata: { [SOURCE_ETAG_METADATA]: etag(9) } }
          : { ETag: etag(7) };
      },
    });
    const result = await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 16 });
    const even = source.map(([k]) => k).filter((_, i) => i % 2 === 0);
    const odd = source.map(([k]) => k).filter((_, i) => i % 2 === 1);
    assert.equal(result.mismatchedCount, n);
    assert.deepEqual(result.mismatched, even.slice(0, MAX_KEYS_LISTED));
    assert.equal(result.unverifiedCount, n);
    assert.deepEqual(result.unverified, odd.slice(0, MAX_KEYS_LISTED));
    assert.equal(result.sourceCount, 2 * n);
    assert.equal(result.backupCount, 2 * n);
  });

  it("must stop comparing once aborted, reading no more copies, and say it was aborted", async () => {
    const rows = Array.from({ length: 30 }, (_, i): Row => [`k${String(i).padStart(2, "0")}`, 1, etag(i)]);
    const controller = new AbortController();
    const { s3, sent } = buckets(
      rows,
      rows.map(([k]): Row => [k, 1, etag(99)]),
      {
        HeadObjectCommand: () => {
          controller.abort(new Error("check timeout"));
          return { ETag: etag(99) };
        },
      },
    );
    await assert.rejects(
      compareBackup({
        s3,
        sourceBucket: SRC,
        backupBucket: BACKUP,
        concurrency: 1,
        signal: controller.signal,
      }),
      { name: "DroxError", message: `Backup comparison of bucket "${SRC}" was aborted` },
    );
    assert.ok(sent.filter((s) => s.command === "HeadObjectCommand").length <= 3);
  });

  it("must name the backup bucket when it cannot be listed", async () => {
    const { s3 } = buckets([["a", 1, etag(1)]], [], {
      ListObjectsV2Command: (input) => {
        if (input.Bucket === BACKUP) throw noSuch("NoSuchBucket");
        return { Contents: [{ Key: "a", Size: 1, ETag: etag(1) }], IsTruncated: false };
      },
    });
    await assert.rejects(compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      name: "DroxError",
      message: `Cannot list S3 backup bucket "${BACKUP}": the bucket does not exist (NoSuchBucket)`,
    });
  });

  it("must call a copy it cannot read unverified, never intact, and say why the pairs could not be read", async () => {
    const denied = new S3ServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: "Access Denied",
    });
    const { s3 } = buckets([["a", 1, etag(1)]], [["a", 1, etag(2)]], {
      HeadObjectCommand: fail(denied),
      GetObjectCommand: fail(denied),
    });
    assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      sourceCount: 1,
      backupCount: 1,
      missing: [],
      mismatched: [],
      unverified: ["a"],
      missingCount: 0,
      mismatchedCount: 0,
      unverifiedCount: 1,
      pairsUnreadable: "AccessDenied: Access Denied",
    });
  });
  it("must leave no rejection unhandled when aborted while the pairs load and the listing has not answered yet", async () => {
    const controller = new AbortController();
    const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const { s3 } = buckets([["a", 1, etag(1)]], [], {
      GetObjectCommand: async () => {
        await later(5);
        controller.abort(new Error("operator stop"));
        throw noSuch("NoSuchKey");
      },
      ListObjectsV2Command: async () => {
        // Still listing when the pairs' loading fails under the abort: nothing awaits it yet.
        await later(60);
        return { Contents: [], IsTruncated: false };
      },
    });
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      await assert.rejects(
        syncBucket({
          s3,
          sourceBucket: SRC,
          backupBucket: BACKUP,
          concurrency: 1,
          signal: controller.signal,
        }),
        {
          name: "DroxError",
          message: `S3 sync of bucket "${SRC}" was aborted after 0 objects copied: operator stop`,
        },
      );
      await later(20);
    } finally {
      process.off("unhandledRejection", record);
    }
    assert.deepEqual(unhandled, [], "no failure left unhandled");
  });

  it("must fail naming the bucket when handing an object off fails, and keep what it copied", async () => {
    const { s3 } = buckets([
      ["a", 1, etag(1)],
      ["b", 1, etag(2)],
    ]);
    await assert.rejects(
      syncBucket({
        s3,
        sourceBucket: SRC,
        backupBucket: BACKUP,
        concurrency: 1,
        handOff: {
          after: 1,
          maxBytes: 10,
          add: async () => {
            throw new Error("no space left on device");
          },
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof DroxError);
        assert.equal(error.message, `S3 sync of bucket "${SRC}" failed: Error: no space left on device`);
        assert.equal(error.retryable, false);
        return true;
      },
    );
  });
});

describe("forEachBounded", () => {
  const entry = (key: string): JoinedEntry => ({ source: { key, size: 1, etag: "e" } });
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  /** Entries k0…k<n-1>, counting how many were taken from the listing. */
  function listing(n: number, failAt?: number) {
    const taken = { count: 0 };
    async function* entries(): AsyncGenerator<JoinedEntry> {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error("listing failed");
        taken.count += 1;
        yield entry(`k${i}`);
      }
    }
    return { entries: entries(), taken };
  }

  it("must run at most `concurrency` at once and take at most twice that from the listing ahead of the work", async () => {
    const { entries, taken } = listing(20);
    const releases: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const done = forEachBounded(
      entries,
      3,
      () => false,
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
      },
    );
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(taken.count, 6, "3 running and 3 waiting, the listing paused");
    assert.equal(releases.length, 3);
    releases.shift()!();
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(taken.count, 7, "one more taken once one finished");
    while (taken.count < 20 || releases.length > 0) {
      releases.shift()?.();
      await tick();
    }
    await done;
    assert.equal(peak, 3);
  });

  it("must take nothing more once stopped, and skip the work of entries not started yet", async () => {
    const { entries, taken } = listing(20);
    let stop = false;
    const worked: string[] = [];
    await forEachBounded(
      entries,
      2,
      () => stop,
      async (e) => {
        worked.push(e.source.key);
        await tick();
        stop = true;
      },
    );
    assert.deepEqual(worked, ["k0", "k1"]);
    assert.equal(taken.count, 5, "two running, two waiting, and the one taken as it stopped");
  });

  it("must wait for the work in flight before passing on the listing's failure", async () => {
    const { entries } = listing(5, 3);
    const finished: string[] = [];
    await assert.rejects(
      forEachBounded(
        entries,
        4,
        () => false,
        async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          finished.push(e.source.key);
        },
      ),
      { message: "listing failed" },
    );
    assert.deepEqual(finished, ["k0", "k1", "k2"]);
  });
});

describe("S3 incremental sync (against moto)", function () {
  this.timeout(180_000);
  let moto: Moto;
  let s3: S3Client;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    s3 = motoS3();
    await createBuckets(s3, SRC, BACKUP);
  });

  it("must copy every object on the first run and issue no copy at all on an unchanged re-run", async () => {
    const objects = Array.from({ length: 40 }, (_, i) => ({
      Key: `dir/file-${i}.txt`,
      Body: `content ${i}`,
    }));
    await putObjects(s3, SRC, objects);
    const counter = countCommands(s3);

    const first = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 8 });
    const totalBytes = objects.reduce((n, o) => n + Buffer.byteLength(o.Body), 0);
    assert.deepEqual(first, {
      filesTotal: 40,
      filesCopied: 40,
      filesSkipped: 0,
      filesFailed: 0,
      bytesCopied: totalBytes,
      sizeBytes: totalBytes,
      failures: [],
      filesHandedOff: 0,
    });
    assert.equal(counter.count("CopyObjectCommand"), 40);
    assert.equal(counter.count("HeadObjectCommand"), 0, "plain objects need no HEAD");
    assert.deepEqual((await listAllKeys(s3, BACKUP)).sort(), objects.map((o) => `${SRC}/${o.Key}`).sort());
    assert.equal((await readBytes(s3, BACKUP, `${SRC}/dir/file-7.txt`)).toString(), "content 7");

    counter.reset();
    const again = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, concurrency: 8 });
    assert.equal(counter.copies(), 0);
    assert.equal(counter.count("HeadObjectCommand"), 0, "equal ETags decide without a HEAD");
    assert.deepEqual(again, { ...first, filesCopied: 0, filesSkipped: 40, bytesCopied: 0 });
  });

  it("must recopy changed and new objects only, and keep objects deleted from the source", async () => {
    await putObjects(s3, SRC, [
      { Key: "same.txt", Body: "unchanged" },
      { Key: "edited.txt", Body: "version-1" },
      { Key: "resized.txt", Body: "short" },
      { Key: "removed.txt", Body: "will be deleted from the source" },
    ]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    await putObjects(s3, SRC, [
      { Key: "edited.txt", Body: "version-2" }, // same size, different ETag
      { Key: "resized.txt", Body: "much longer now" },
      { Key: "new.txt", Body: "new" },
    ]);
    await s3.send(new DeleteObjectsCommand({ Bucket: SRC, Delete: { Objects: [{ Key: "removed.txt" }] } }));
    const counter = countCommands(s3);

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.equal(result.filesTotal, 4);
    assert.equal(result.filesCopied, 3);
    assert.equal(result.filesSkipped, 1);
    assert.equal(counter.count("CopyObjectCommand"), 3);
    assert.equal((await readBytes(s3, BACKUP, `${SRC}/edited.txt`)).toString(), "version-2");
    assert.equal((await readBytes(s3, BACKUP, `${SRC}/resized.txt`)).toString(), "much longer now");
    assert.equal(
      (await readBytes(s3, BACKUP, `${SRC}/removed.txt`)).toString(),
      "will be deleted from the source",
    );
  });

  it("must preserve user metadata, content type and caching headers", async () => {
    await putObjects(s3, SRC, [
      {
        Key: "report.json",
        Body: "{}",
        ContentType: "application/json",
        CacheControl: "no-cache",
        ContentDisposition: 'attachment; filename="report.json"',
        Metadata: { owner: "devops", "build-id": "42" },
      },
    ]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/report.json` }));
    assert.equal(head.ContentType, "application/json");
    assert.equal(head.CacheControl, "no-cache");
    assert.equal(head.ContentDisposition, 'attachment; filename="report.json"');
    assert.deepEqual(head.Metadata, { owner: "devops", "build-id": "42" });
  });

  it("must copy a multipart-uploaded object once with its metadata and recognise the copy by its pair of ETags", async () => {
    const body = await putMultipartObject(s3, SRC, "archive.tar", { origin: "ci" });
    const sourceHead = await s3.send(new HeadObjectCommand({ Bucket: SRC, Key: "archive.tar" }));
    assert.match(sourceHead.ETag ?? "", /-2"$/);
    const counter = countCommands(s3);

    const first = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(first.filesCopied, 1);
    assert.equal(counter.count("CopyObjectCommand"), 1);
    assert.equal(counter.count("HeadObjectCommand"), 0, "the copy keeps the metadata without reading it");

    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/archive.tar` }));
    assert.notEqual(head.ETag, sourceHead.ETag, "a copy of a multipart object gets a new ETag");
    assert.equal(head.ContentType, "application/x-tar");
    assert.equal(head.CacheControl, "max-age=60");
    assert.deepEqual(head.Metadata, { origin: "ci" }, "the source's metadata, unchanged");
    assert.ok((await readBytes(s3, BACKUP, `${SRC}/archive.tar`)).equals(body));

    counter.reset();
    const again = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(again.filesSkipped, 1);
    assert.equal(counter.copies(), 0);
    assert.equal(counter.count("HeadObjectCommand"), 0, "the pair of ETags decides");
    assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      sourceCount: 1,
      backupCount: 1,
      missing: [],
      mismatched: [],
      unverified: [],
      missingCount: 0,
      mismatchedCount: 0,
      unverifiedCount: 0,
    });
  });

  it("must copy once and record the pair when the backup bucket gives copies other ETags without saying why", async () => {
    await putObjects(s3, SRC, [
      { Key: "k.txt", Body: "kms", ContentType: "text/plain", Metadata: { a: "1" } },
    ]);
    // A bucket whose default encryption is not KMS, yet whose copy ETags differ (a source ETag that
    // only looks like an MD5, e.g. of an SSE-KMS source). SSE-KMS backup buckets: s3-sync-kms.spec.ts.
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        const result = (out.output as { CopyObjectResult?: { ETag?: string } }).CopyObjectResult;
        if (context.commandName === "CopyObjectCommand" && result)
          result.ETag = '"0123456789abcdef0123456789abcdef"';
        return out;
      },
      { step: "initialize", name: "kmsEtags" },
    );
    const counter = countCommands(s3);

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.equal(result.filesCopied, 1);
    assert.equal(counter.count("CopyObjectCommand"), 1, "one copy, whatever ETag it gets");
    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/k.txt` }));
    assert.equal(head.ContentType, "text/plain");
    assert.deepEqual(head.Metadata, { a: "1" });
    const pairs = await readBytes(s3, BACKUP, etagPairsKey(`${SRC}/`));
    assert.deepEqual(JSON.parse(pairs.toString()), {
      version: 1,
      pairs: [["0123456789abcdef0123456789abcdef", createHash("md5").update("kms").digest("hex")]],
    });
  });

  it("must copy objects above the threshold in parts, with their metadata and tags", async () => {
    const big = Buffer.alloc(12 * MiB);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await putObjects(s3, SRC, [
      {
        Key: "big.bin",
        Body: big,
        ContentType: "application/octet-stream",
        Metadata: { kind: "dump" },
        Tagging: "team=devops&tier=gold",
      },
      { Key: "small.txt", Body: "small" },
    ]);
    const counter = countCommands(s3);
    const options = {
      s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      multipartThresholdBytes: 6 * MiB,
      partSizeBytes: 5 * MiB, // moto, like S3, rejects parts under 5 MiB except the last
    };

    const result = await syncBucket(options);

    assert.equal(result.filesCopied, 2);
    assert.equal(result.bytesCopied, big.length + 5);
    assert.equal(counter.count("UploadPartCopyCommand"), 3); // 5 + 5 + 2 MiB
    assert.equal(counter.count("CopyObjectCommand"), 1);
    const copy = await readBytes(s3, BACKUP, `${SRC}/big.bin`);
    assert.equal(
      createHash("sha256").update(copy).digest("hex"),
      createHash("sha256").update(big).digest("hex"),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BACKUP, Key: `${SRC}/big.bin` }));
    assert.equal(head.ContentType, "application/octet-stream");
    assert.equal(head.Metadata?.kind, "dump");
    assert.equal(head.Metadata?.[SOURCE_ETAG_METADATA], createHash("md5").update(big).digest("hex"));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: BACKUP, Key: `${SRC}/big.bin` }));
    assert.deepEqual(tags.TagSet?.map((t) => `${t.Key}=${t.Value}`).sort(), ["team=devops", "tier=gold"]);

    counter.reset();
    const again = await syncBucket(options);
    assert.equal(again.filesSkipped, 2);
    assert.equal(counter.copies(), 0);
  });

  it("must page through more than 1,000 objects on both sides", async () => {
    const keys = Array.from({ length: 1205 }, (_, i) => `k/${String(i).padStart(5, "0")}`);
    await putObjects(
      s3,
      SRC,
      keys.map((Key) => ({ Key, Body: Key })),
    );
    const counter = countCommands(s3);
    const first = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(first.filesCopied, 1205);
    assert.equal(counter.count("ListObjectsV2Command"), 3); // source: 2 pages, empty backup: 1

    counter.reset();
    const again = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(again.filesSkipped, 1205);
    assert.equal(counter.copies(), 0);
    assert.equal(counter.count("ListObjectsV2Command"), 4);
  });

  it("must join keys in S3's UTF-8 order, whatever characters they hold", async () => {
    // "\u{1F600}" sorts before "\uFFFD" in UTF-16 but after it in UTF-8, as S3 lists.
    const keys = ["a b+c.txt", "résumé.pdf", "z/\u{1F600}.png", "z/\uFFFD.png", "100%.txt", "q?x=1&y=2"];
    await putObjects(
      s3,
      SRC,
      keys.map((Key) => ({ Key, Body: Key })),
    );
    const first = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(first.filesCopied, keys.length);
    for (const key of keys) assert.equal((await readBytes(s3, BACKUP, `${SRC}/${key}`)).toString(), key);

    const counter = countCommands(s3);
    const again = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(again.filesSkipped, keys.length);
    assert.equal(counter.copies(), 0);
  });

  it("must count an object that cannot be copied as failed and copy the others", async () => {
    await putObjects(s3, SRC, [
      { Key: "a.txt", Body: "a" },
      { Key: "archived.log", Body: "cold", StorageClass: "GLACIER" },
      { Key: "b.txt", Body: "b" },
    ]);

    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });

    assert.equal(result.filesTotal, 3);
    assert.equal(result.filesCopied, 2);
    assert.equal(result.filesFailed, 1);
    assert.equal(result.failures.length, 1);
    assert.equal(result.failures[0]?.key, "archived.log");
    assert.match(result.failures[0]?.message ?? "", /^ObjectNotInActiveTierError: /);
    assert.doesNotMatch(result.failures[0]?.message ?? "", /\n\s+at /, "no stack trace");
    assert.deepEqual((await listAllKeys(s3, BACKUP)).sort(), [`${SRC}/a.txt`, `${SRC}/b.txt`]);
  });

  it("must fail with an error naming the source bucket when it disappears mid-sync", async () => {
    const keys = Array.from({ length: 1500 }, (_, i) => `obj-${String(i).padStart(4, "0")}`);
    await putObjects(
      s3,
      SRC,
      keys.map((Key) => ({ Key, Body: "x" })),
    );
    let deletion: Promise<void> | undefined;
    const removeSource = async () => {
      const admin = motoS3();
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
        await admin.send(new DeleteObjectsCommand({ Bucket: SRC, Delete: { Objects: batch } }));
      }
      await admin.send(new DeleteBucketCommand({ Bucket: SRC }));
    };

    const run = syncBucket({
      s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      concurrency: 4,
      onProgress: (p) => {
        if (p.copied >= 20) deletion ??= removeSource();
      },
    });

    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof DroxError);
      assert.match(error.message, new RegExp(`S3 source bucket "${SRC}": the bucket does not exist`));
      return true;
    });
    await deletion;
    const copied = await listAllKeys(s3, BACKUP);
    assert.ok(
      copied.length >= 20 && copied.length < keys.length,
      `${copied.length} copied before it vanished`,
    );
  });

  it("must fail with a DroxError naming a missing source or backup bucket", async () => {
    await assert.rejects(
      syncBucket({ s3, sourceBucket: "no-such-source", backupBucket: BACKUP }),
      (error) => {
        assert.ok(error instanceof DroxError);
        assert.equal(
          error.message,
          'Cannot list S3 source bucket "no-such-source": the bucket does not exist (NoSuchBucket)',
        );
        assert.equal(error.retryable, false);
        return true;
      },
    );
    await putObjects(s3, SRC, [{ Key: "a", Body: "a" }]);
    await assert.rejects(syncBucket({ s3, sourceBucket: SRC, backupBucket: "no-such-backup" }), {
      name: "DroxError",
      message: 'Cannot list S3 backup bucket "no-such-backup": the bucket does not exist (NoSuchBucket)',
    });
    await assert.rejects(compareBackup({ s3, sourceBucket: "no-such-source", backupBucket: BACKUP }), {
      name: "DroxError",
      message: /S3 source bucket "no-such-source"/,
    });
  });

  it("must refuse to back a bucket up into itself", async () => {
    await assert.rejects(syncBucket({ s3, sourceBucket: SRC, backupBucket: SRC }), {
      name: "ConfigError",
      message: /"drox-src" is also the backup bucket/,
    });
  });

  it("must stop promptly when aborted and say how far it got", async () => {
    await putObjects(
      s3,
      SRC,
      Array.from({ length: 300 }, (_, i) => ({ Key: `o${i}`, Body: "x" })),
    );
    const controller = new AbortController();
    const run = syncBucket({
      s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      concurrency: 4,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.copied >= 10) controller.abort(new Error("job timeout"));
      },
    });
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof DroxError);
      assert.match(
        error.message,
        /^S3 sync of bucket "drox-src" was aborted after \d+ objects copied: job timeout$/,
      );
      assert.equal(error.retryable, true);
      return true;
    });
    const copied = (await listAllKeys(s3, BACKUP)).length;
    assert.ok(copied >= 10 && copied <= 20, `${copied} objects copied before the abort took effect`);

    const already = new AbortController();
    already.abort();
    await assert.rejects(
      syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, signal: already.signal }),
      /was aborted after 0 objects copied/,
    );
  });

  it("must keep concurrency within the limit and report progress up to the result", async () => {
    await putObjects(
      s3,
      SRC,
      Array.from({ length: 120 }, (_, i) => ({ Key: `p${i}`, Body: "yy" })),
    );
    const counter = countCommands(s3);
    const seen: S3SyncProgress[] = [];
    const result = await syncBucket({
      s3,
      sourceBucket: SRC,
      backupBucket: BACKUP,
      concurrency: 5,
      onProgress: (p) => seen.push(p),
    });
    assert.ok(counter.maxInFlight("CopyObjectCommand") <= 5);
    assert.ok(counter.maxInFlight("CopyObjectCommand") >= 2, "copies run in parallel");
    const last = seen.at(-1);
    assert.deepEqual(last, { listed: 120, total: 120, copied: 120, skipped: 0, failed: 0, bytesCopied: 240 });
    assert.equal(result.filesCopied, 120);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]!.copied >= seen[i - 1]!.copied, "progress never goes backwards");
    }
  });

  it("must write under a custom prefix", async () => {
    await putObjects(s3, SRC, [{ Key: "x.txt", Body: "x" }]);
    const result = await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP, prefix: "daily/src/" });
    assert.equal(result.filesCopied, 1);
    assert.deepEqual(await listAllKeys(s3, BACKUP), ["daily/src/x.txt"]);
  });
});

describe("compareBackup (against moto)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let s3: S3Client;

  before(async () => {
    moto = await useMoto();
  });

  beforeEach(async () => {
    await moto.reset();
    s3 = motoS3();
    await createBuckets(s3, SRC, BACKUP);
  });

  it("must find the backup intact right after a sync", async () => {
    await putObjects(
      s3,
      SRC,
      Array.from({ length: 30 }, (_, i) => ({ Key: `c${i}`, Body: `c${i}` })),
    );
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      sourceCount: 30,
      backupCount: 30,
      missing: [],
      mismatched: [],
      unverified: [],
      missingCount: 0,
      mismatchedCount: 0,
      unverifiedCount: 0,
    });
  });

  it("must list missing and altered copies, and count copies kept after source deletion", async () => {
    await putObjects(s3, SRC, [
      { Key: "keep", Body: "same" },
      { Key: "changed", Body: "before" },
      { Key: "gone", Body: "deleted later" },
    ]);
    await syncBucket({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    await putObjects(s3, SRC, [
      { Key: "changed", Body: "after!" },
      { Key: "fresh", Body: "not yet backed up" },
    ]);
    await s3.send(new DeleteObjectsCommand({ Bucket: SRC, Delete: { Objects: [{ Key: "gone" }] } }));

    assert.deepEqual(await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP }), {
      sourceCount: 3,
      backupCount: 3,
      missing: ["fresh"],
      mismatched: ["changed"],
      unverified: [],
      missingCount: 1,
      mismatchedCount: 1,
      unverifiedCount: 0,
    });
  });

  it("must report an aborted comparison as a retryable DroxError", async () => {
    await putObjects(s3, SRC, [{ Key: "a", Body: "a" }]);
    const controller = new AbortController();
    controller.abort(new Error("job timeout"));
    await assert.rejects(
      compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP, signal: controller.signal }),
      (error: unknown) => {
        assert.ok(error instanceof DroxError);
        assert.equal(error.message, `Backup comparison of bucket "${SRC}" was aborted`);
        assert.equal(error.retryable, true);
        return true;
      },
    );
  });

  it("must cap the key lists and keep the counts exact", async () => {
    const keys = Array.from({ length: MAX_KEYS_LISTED + 20 }, (_, i) => `m${String(i).padStart(4, "0")}`);
    await putObjects(
      s3,
      SRC,
      keys.map((Key) => ({ Key, Body: Key })),
    );
    const result = await compareBackup({ s3, sourceBucket: SRC, backupBucket: BACKUP });
    assert.equal(result.missingCount, keys.length);
    assert.deepEqual(result.missing, keys.slice(0, MAX_KEYS_LISTED));
    assert.equal(result.backupCount, 0);
  });
});
