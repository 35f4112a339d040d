/**
 * The copy of one object and the "does the backup already hold it" decision (runtime/jobs/s3-copy.ts),
 * request by request, against a client whose answers are scripted here the way S3 gives them: no
 * moto, so each case is milliseconds and can pin which requests are sent and which are not.
 *
 * What S3 answers, as documented:
 * - ETags are quoted in answers, and are the MD5 of the data only for objects written in one piece
 *   with SSE-S3 or no encryption ("Objects … encrypted by SSE-C or SSE-KMS, have ETags that are not
 *   an MD5 digest of their object data"; multipart ETags are not MD5s either,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html).
 * - HeadObject of a missing key is a 404 without a body (the SDK names it `NotFound`); with IfMatch
 *   another ETag is 412 PreconditionFailed (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
 * - CopyObject answers the copy's ETag in CopyObjectResult and the encryption it applied in
 *   x-amz-server-side-encryption (`AES256`, `aws:kms`, `aws:kms:dsse`),
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html.
 */
import assert from "node:assert/strict";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import {
  backupState,
  copyObject,
  isKmsEncryption,
  isUpToDate,
  SOURCE_ETAG_METADATA,
  type CopyContext,
  type StateContext,
} from "../runtime/jobs/s3-copy";
import { EtagPairs } from "../runtime/jobs/s3-etag-pairs";
import type { ListedObject } from "../runtime/jobs/s3-listing";
import { fail, OFFLINE, script, type Answer, type Input, type Sent } from "./support/scripted-aws";

/** An S3 client answering each command from `answers`; every request is recorded. */
function scriptedS3(answers: Record<string, Answer>): { s3: S3Client; sent: Sent[] } {
  const s3 = new S3Client(OFFLINE);
  return { s3, sent: script(s3, answers) };
}

function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode }, message: name });
}

// Plain ETags as S3 lists them (quoted MD5s) and a multipart one (`-<parts>`).
const V1 = "0cc175b9c0f1b6a831c399e269772661";
const V2 = "92eb5ffee6ae2fec3ad71c777531578f";
const COPY = "4a8a08f09d37b73795649038408b5f33";
const OTHER = "8277e0910d750195b448797616e091ad";
const MULTIPART = "e2fc714c4727ee9395f324cd2e7f331f-2";
const q = (etag: string) => `"${etag}"`;

const SOURCE_BUCKET = "app-data";
const BACKUP_BUCKET = "drox-backup";

function listed(etag: string, extra: Partial<ListedObject> = {}): ListedObject {
  return { key: "dir/ledger.csv", size: 3, etag: q(etag), ...extra };
}

function stateContext(
  s3: S3Client,
  pairs: EtagPairs = new EtagPairs(),
  proveWith?: StateContext["proveWith"],
): StateContext {
  return {
    s3,
    backupBucket: BACKUP_BUCKET,
    prefix: `${SOURCE_BUCKET}/`,
    signal: new AbortController().signal,
    pairs,
    ...(proveWith ? { proveWith } : {}),
  };
}

describe("S3 copy: the backup's state of one object (scripted S3 answers)", () => {
  it("must call a missing or resized copy stale without a request", async () => {
    const { s3, sent } = scriptedS3({});
    const ctx = stateContext(s3);
    assert.equal(await backupState(ctx, listed(V1), undefined), "stale");
    assert.equal(await backupState(ctx, listed(V1), listed(V1, { size: 4 })), "stale");
    assert.equal(await backupState(ctx, listed(V1), listed(V1, { size: 2 })), "stale");
    assert.equal(await isUpToDate(ctx, listed(V1), undefined), false);
    assert.deepEqual(sent, []);
  });

  it("must call a copy with the source's ETag current, quotes or not, without a request", async () => {
    const { s3, sent } = scriptedS3({});
    const ctx = stateContext(s3);
    assert.equal(await backupState(ctx, listed(V1), listed(V1)), "current");
    assert.equal(await backupState(ctx, listed(V1), { ...listed(V1), etag: V1 }), "current");
    assert.equal(await isUpToDate(ctx, listed(V1), listed(V1)), true);
    assert.deepEqual(sent, []);
  });

  it("must decide from a known pair without a HEAD: current for its source version, stale for another of the same size", async () => {
    const { s3, sent } = scriptedS3({});
    const ctx = stateContext(s3, new EtagPairs(new Map([[COPY, V1]])));
    assert.equal(await backupState(ctx, listed(V1), listed(COPY)), "current");
    assert.equal(await backupState(ctx, listed(V2), listed(COPY)), "stale", "edited in place, same size");
    assert.equal(await isUpToDate(ctx, listed(V2), listed(COPY)), false);
    assert.deepEqual(sent, []);
  });

  it("must read the copy's source ETag with one HEAD of the copy when no pair decides, and record the pair it proves", async () => {
    const { s3, sent } = scriptedS3({
      HeadObjectCommand: () => ({ ETag: q(COPY), Metadata: { [SOURCE_ETAG_METADATA]: V1 } }),
    });
    const pairs = new EtagPairs();
    const ctx = stateContext(s3, pairs);
    assert.equal(await backupState(ctx, listed(V1), listed(COPY)), "current");
    assert.deepEqual(sent, [
      {
        command: "HeadObjectCommand",
        input: { Bucket: BACKUP_BUCKET, Key: `${SOURCE_BUCKET}/dir/ledger.csv` },
      },
    ]);
    assert.equal(pairs.sourceOf(COPY), V1, "the next run decides from the pair, without a HEAD");
    assert.equal(await backupState(ctx, listed(V1), listed(COPY)), "current");
    assert.equal(sent.length, 1);
  });

  it("must compare the stored source ETag without its quotes", async () => {
    const { s3 } = scriptedS3({
      HeadObjectCommand: () => ({ ETag: q(COPY), Metadata: { [SOURCE_ETAG_METADATA]: q(V1) } }),
    });
    assert.equal(await backupState(stateContext(s3), listed(V1), listed(COPY)), "current");
  });

  it("must not record a pair for a copy replaced since its listing, though the copy read holds the source", async () => {
    const { s3 } = scriptedS3({
      HeadObjectCommand: () => ({ ETag: q(OTHER), Metadata: { [SOURCE_ETAG_METADATA]: V1 } }),
    });
    const pairs = new EtagPairs();
    assert.equal(await backupState(stateContext(s3, pairs), listed(V1), listed(COPY)), "current");
    assert.equal(pairs.sourceOf(COPY), undefined);
    assert.equal(pairs.sourceOf(OTHER), undefined);
  });

  it("must call a copy of another source version stale, and a copy nothing vouches for unverified", async () => {
    const stored = scriptedS3({
      HeadObjectCommand: () => ({ ETag: q(COPY), Metadata: { [SOURCE_ETAG_METADATA]: V1 } }),
    });
    assert.equal(await backupState(stateContext(stored.s3), listed(V2), listed(COPY)), "stale");
    const none = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(COPY), Metadata: { owner: "devops" } }) });
    assert.equal(await backupState(stateContext(none.s3), listed(V1), listed(COPY)), "unverified");
    assert.equal(await isUpToDate(stateContext(none.s3), listed(V1), listed(COPY)), false);
    const noMetadata = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(COPY) }) });
    assert.equal(await backupState(stateContext(noMetadata.s3), listed(V1), listed(COPY)), "unverified");
  });

  it("must call a copy deleted since its listing stale, and let any other HEAD failure through", async () => {
    for (const gone of [s3Error("NotFound", 404), s3Error("NoSuchKey", 404)]) {
      const { s3 } = scriptedS3({ HeadObjectCommand: fail(gone) });
      assert.equal(await backupState(stateContext(s3), listed(V1), listed(COPY)), "stale");
    }
    const denied = s3Error("AccessDenied", 403);
    const { s3 } = scriptedS3({ HeadObjectCommand: fail(denied) });
    await assert.rejects(backupState(stateContext(s3), listed(V1), listed(COPY)), (e) => e === denied);
  });

  it("must read the copy under the run's signal, so an aborted run stops instead of deciding", async () => {
    const { s3, sent } = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(COPY) }) });
    const controller = new AbortController();
    controller.abort(new Error("job timeout"));
    const ctx = { ...stateContext(s3), signal: controller.signal };
    await assert.rejects(backupState(ctx, listed(V1), listed(COPY)), { name: "AbortError" });
    assert.deepEqual(
      sent.map((s) => s.command),
      ["HeadObjectCommand"],
    );
  });

  describe("proving a copy without a record stale (the integrity check)", () => {
    const where = { sourceBucket: SOURCE_BUCKET, sourcePrefix: "" };

    /** A backup copy read as `backupHead`, its source read as `sourceHead`, under the check's context. */
    async function judge(
      backupHead: Answer,
      sourceHead: Answer,
      source: ListedObject = listed(V2),
    ): Promise<{ state: string; sourceReads: Input[] }> {
      const backup = scriptedS3({ HeadObjectCommand: backupHead });
      const origin = scriptedS3({ HeadObjectCommand: sourceHead });
      const ctx = stateContext(backup.s3, new EtagPairs(), { ...where, sourceS3: origin.s3 });
      const state = await backupState(ctx, source, listed(V1));
      return { state, sourceReads: origin.sent.map((s) => s.input) };
    }

    it("must call stale, after one HEAD of the listed source version, a plain copy whose MD5 is not its plain source's", async () => {
      const { state, sourceReads } = await judge(
        () => ({ ETag: q(V1) }),
        () => ({ ETag: q(V2), ServerSideEncryption: "AES256" }),
        listed(V2, { versionId: "v-2" }),
      );
      assert.equal(state, "stale");
      assert.deepEqual(sourceReads, [
        { Bucket: SOURCE_BUCKET, Key: "dir/ledger.csv", VersionId: "v-2", IfMatch: q(V2) },
      ]);
    });

    it("must read the source under its prefix, and without a version when none was listed", async () => {
      const backup = scriptedS3({
        HeadObjectCommand: () => ({ ETag: q(V1), ServerSideEncryption: "AES256" }),
      });
      const origin = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(V2) }) });
      const ctx = stateContext(backup.s3, new EtagPairs(), {
        sourceS3: origin.s3,
        sourceBucket: SOURCE_BUCKET,
        sourcePrefix: "restored/",
      });
      assert.equal(await backupState(ctx, listed(V2), listed(V1)), "stale");
      assert.deepEqual(
        origin.sent.map((s) => s.input),
        [{ Bucket: SOURCE_BUCKET, Key: "restored/dir/ledger.csv", IfMatch: q(V2) }],
      );
      const bare = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(V2) }) });
      await backupState(
        stateContext(backup.s3, new EtagPairs(), { sourceS3: bare.s3, sourceBucket: SOURCE_BUCKET }),
        listed(V2),
        listed(V1),
      );
      assert.deepEqual(
        bare.sent.map((s) => s.input),
        [{ Bucket: SOURCE_BUCKET, Key: "dir/ledger.csv", IfMatch: q(V2) }],
      );
    });

    it("must leave it unverified without reading the source when either ETag is not an MD5 of the bytes", async () => {
      const sourceHead = () => ({ ETag: q(V2) });
      const cases: [string, Answer, ListedObject][] = [
        ["a multipart source", () => ({ ETag: q(V1) }), listed(MULTIPART)],
        ["an SSE-KMS copy", () => ({ ETag: q(V1), ServerSideEncryption: "aws:kms" }), listed(V2)],
        ["a DSSE-KMS copy", () => ({ ETag: q(V1), ServerSideEncryption: "aws:kms:dsse" }), listed(V2)],
        ["an SSE-C copy", () => ({ ETag: q(V1), SSECustomerAlgorithm: "AES256" }), listed(V2)],
        ["a multipart copy", () => ({ ETag: q(MULTIPART) }), listed(V2)],
        ["a copy replaced since by the listed source's", () => ({ ETag: q(V2) }), listed(V2)],
      ];
      for (const [name, backupHead, source] of cases) {
        const { state, sourceReads } = await judge(backupHead, sourceHead, source);
        assert.deepEqual([name, state, sourceReads], [name, "unverified", []]);
      }
    });

    it("must leave it unverified when the source cannot be read, changed since its listing, or has no MD5 ETag", async () => {
      const backupHead = () => ({ ETag: q(V1) });
      const cases: [string, Answer][] = [
        ["changed since its listing", fail(s3Error("PreconditionFailed", 412))],
        ["access denied", fail(s3Error("AccessDenied", 403))],
        ["SSE-KMS", () => ({ ETag: q(V2), ServerSideEncryption: "aws:kms" })],
        ["SSE-C", () => ({ ETag: q(V2), SSECustomerAlgorithm: "AES256" })],
      ];
      for (const [name, sourceHead] of cases) {
        const { state, sourceReads } = await judge(backupHead, sourceHead);
        assert.deepEqual([name, state, sourceReads.length], [name, "unverified", 1]);
      }
    });

    it("must not prove anything once the check is aborted: the source is read under its signal", async () => {
      const controller = new AbortController();
      const backup = scriptedS3({
        HeadObjectCommand: () => {
          controller.abort(new Error("check timeout"));
          return { ETag: q(V1) };
        },
      });
      const origin = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(V2) }) });
      const ctx = {
        ...stateContext(backup.s3, new EtagPairs(), { sourceS3: origin.s3, sourceBucket: SOURCE_BUCKET }),
        signal: controller.signal,
      };
      assert.equal(await backupState(ctx, listed(V2), listed(V1)), "unverified");
      assert.equal(origin.sent.length, 1);
    });

    it("must not prove anything when the check gave no source to read", async () => {
      const { s3 } = scriptedS3({ HeadObjectCommand: () => ({ ETag: q(V1) }) });
      assert.equal(await backupState(stateContext(s3), listed(V2), listed(V1)), "unverified");
    });
  });

  it("must tell KMS encryption (single and dual-layer) from SSE-S3 and none", () => {
    assert.equal(isKmsEncryption("aws:kms"), true);
    assert.equal(isKmsEncryption("aws:kms:dsse"), true);
    assert.equal(isKmsEncryption("AES256"), false);
    assert.equal(isKmsEncryption(undefined), false);
  });
});

describe("S3 copy: one object's copy (scripted S3 answers)", () => {
  const HEAD = {
    ETag: q(V1),
    ContentType: "text/csv",
    ContentEncoding: "gzip",
    ContentDisposition: "attachment",
    ContentLanguage: "ko",
    CacheControl: "max-age=60",
    ExpiresString: "Wed, 21 Oct 2026 07:28:00 GMT",
    WebsiteRedirectLocation: "/moved",
    Metadata: { owner: "devops" },
  };
  const REPLACED = {
    Metadata: { owner: "devops", [SOURCE_ETAG_METADATA]: V1 },
    ContentType: "text/csv",
    ContentEncoding: "gzip",
    ContentDisposition: "attachment",
    ContentLanguage: "ko",
    CacheControl: "max-age=60",
    ExpiresString: "Wed, 21 Oct 2026 07:28:00 GMT",
    WebsiteRedirectLocation: "/moved",
  };

  function copyContext(s3: S3Client, extra: Partial<CopyContext> = {}): CopyContext {
    return {
      s3,
      sourceS3: s3,
      sourceBucket: SOURCE_BUCKET,
      backupBucket: BACKUP_BUCKET,
      prefix: `${SOURCE_BUCKET}/`,
      multipartThreshold: 100,
      partSize: 50,
      signal: new AbortController().signal,
      destination: {},
      pairs: new EtagPairs(),
      ...extra,
    };
  }

  const summary = (sent: Sent[]) =>
    sent.map((s) => [s.command, s.input.MetadataDirective ?? s.input.IfMatch ?? ""]);

  it("must copy a backup's object with one CopyObject of the listed version that keeps its metadata, and record the pair", async () => {
    const { s3, sent } = scriptedS3({ CopyObjectCommand: () => ({ CopyObjectResult: { ETag: q(COPY) } }) });
    const ctx = copyContext(s3, { provenance: "pairs" });
    await copyObject(ctx, listed(V1, { key: "dir/a b.csv", size: 100 }));
    assert.deepEqual(sent, [
      {
        command: "CopyObjectCommand",
        input: {
          Bucket: BACKUP_BUCKET,
          Key: `${SOURCE_BUCKET}/dir/a b.csv`,
          CopySource: `${SOURCE_BUCKET}/dir/a%20b.csv`,
          CopySourceIfMatch: q(V1),
          MetadataDirective: "COPY",
        },
      },
    ]);
    assert.equal(ctx.pairs.sourceOf(COPY), V1);
  });

  it("must copy again with the source ETag in the copy's metadata, its headers kept, when asked to", async () => {
    const { s3, sent } = scriptedS3({
      HeadObjectCommand: () => HEAD,
      CopyObjectCommand: () => ({ CopyObjectResult: { ETag: q(COPY) } }),
    });
    const ctx = copyContext(s3, { provenance: "pairs" });
    await copyObject(ctx, listed(V1), { withSourceEtag: true });
    assert.deepEqual(sent, [
      {
        command: "HeadObjectCommand",
        input: { Bucket: SOURCE_BUCKET, Key: "dir/ledger.csv", IfMatch: q(V1) },
      },
      {
        command: "CopyObjectCommand",
        input: {
          Bucket: BACKUP_BUCKET,
          Key: `${SOURCE_BUCKET}/dir/ledger.csv`,
          CopySource: `${SOURCE_BUCKET}/dir/ledger.csv`,
          CopySourceIfMatch: q(V1),
          MetadataDirective: "REPLACE",
          ...REPLACED,
        },
      },
    ]);
    assert.equal(ctx.pairs.sourceOf(COPY), V1);
  });

  it("must copy an object of exactly the threshold with CopyObject and a larger one in parts", async () => {
    const { s3, sent } = scriptedS3({
      CopyObjectCommand: () => ({ CopyObjectResult: { ETag: q(COPY) } }),
      HeadObjectCommand: () => HEAD,
      GetObjectTaggingCommand: () => ({ TagSet: [] }),
      CreateMultipartUploadCommand: () => ({ UploadId: "up-1" }),
      UploadPartCopyCommand: () => ({ CopyPartResult: { ETag: q(OTHER) } }),
      CompleteMultipartUploadCommand: () => ({ ETag: q(MULTIPART) }),
    });
    const ctx = copyContext(s3, { provenance: "pairs", multipartThreshold: 100 });
    await copyObject(ctx, listed(V1, { size: 100 }));
    assert.deepEqual(
      sent.map((s) => s.command),
      ["CopyObjectCommand"],
    );
    sent.length = 0;
    await copyObject(ctx, listed(V2, { size: 101 }));
    assert.deepEqual(
      sent.map((s) => [s.command, s.input.CopySourceRange ?? ""]),
      [
        ["HeadObjectCommand", ""],
        ["GetObjectTaggingCommand", ""],
        ["CreateMultipartUploadCommand", ""],
        ["UploadPartCopyCommand", "bytes=0-100"],
        ["CompleteMultipartUploadCommand", ""],
      ],
    );
    assert.equal(ctx.pairs.sourceOf(MULTIPART), V2);
  });

  it("must not fail a copy whose answer names no ETag, and record no pair for it", async () => {
    const { s3, sent } = scriptedS3({ CopyObjectCommand: () => ({}), HeadObjectCommand: () => HEAD });
    const pairs = copyContext(s3, { provenance: "pairs" });
    await copyObject(pairs, listed(V1));
    await copyObject(pairs, listed(V2), { withSourceEtag: true });
    assert.equal(pairs.pairs.freshCount, 0);
    sent.length = 0;
    // A restore cannot see the copy kept its source's ETag: it copies again with the source ETag.
    await copyObject(copyContext(s3), listed(V1));
    assert.deepEqual(summary(sent), [
      ["CopyObjectCommand", "COPY"],
      ["HeadObjectCommand", q(V1)],
      ["CopyObjectCommand", "REPLACE"],
    ]);
  });

  describe("in parts", () => {
    const MiB = 1024 * 1024;
    const parts = (partAnswer: Answer, over: Record<string, Answer> = {}) =>
      scriptedS3({
        HeadObjectCommand: () => HEAD,
        GetObjectTaggingCommand: () => ({ TagSet: [] }),
        CreateMultipartUploadCommand: () => ({ UploadId: "up-1" }),
        UploadPartCopyCommand: partAnswer,
        CompleteMultipartUploadCommand: () => ({ ETag: q(MULTIPART) }),
        AbortMultipartUploadCommand: () => ({}),
        ...over,
      });
    const big = (size: number) => listed(V1, { size });

    it("must create the upload with the source's headers, metadata and tags, and no Tagging without tags", async () => {
      const tagged = parts(() => ({ CopyPartResult: { ETag: q(OTHER) } }), {
        GetObjectTaggingCommand: () => ({
          TagSet: [
            { Key: "team", Value: "devops" },
            { Key: "cost-center", Value: "a&b" },
          ],
        }),
      });
      await copyObject(copyContext(tagged.s3), big(101));
      const create = tagged.sent.find((s) => s.command === "CreateMultipartUploadCommand");
      assert.deepEqual(create?.input, {
        Bucket: BACKUP_BUCKET,
        Key: `${SOURCE_BUCKET}/dir/ledger.csv`,
        Tagging: "team=devops&cost-center=a%26b",
        ...REPLACED,
      });
      assert.deepEqual(tagged.sent.find((s) => s.command === "GetObjectTaggingCommand")?.input, {
        Bucket: SOURCE_BUCKET,
        Key: "dir/ledger.csv",
      });
      for (const TagSet of [[], undefined]) {
        const bare = parts(() => ({ CopyPartResult: { ETag: q(OTHER) } }), {
          GetObjectTaggingCommand: () => ({ TagSet }),
        });
        await copyObject(copyContext(bare.s3), big(101));
        const input = bare.sent.find((s) => s.command === "CreateMultipartUploadCommand")?.input;
        assert.equal(input?.Tagging, undefined);
      }
    });

    it("must fail, before copying any part, when CreateMultipartUpload names no upload", async () => {
      const { s3, sent } = parts(() => ({ CopyPartResult: { ETag: q(OTHER) } }), {
        CreateMultipartUploadCommand: () => ({}),
      });
      await assert.rejects(copyObject(copyContext(s3), big(101)), {
        message: `CreateMultipartUpload returned no UploadId for ${SOURCE_BUCKET}/dir/ledger.csv`,
      });
      assert.equal(sent.filter((s) => s.command === "UploadPartCopyCommand").length, 0);
    });

    it("must start no part after one failed, and abort the upload it started", async () => {
      const refused = s3Error("PreconditionFailed", 412);
      const { s3, sent } = parts(async (input) => {
        if (input.PartNumber === 1) throw refused;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { CopyPartResult: { ETag: q(OTHER) } };
      });
      await assert.rejects(
        copyObject(copyContext(s3, { partSize: 5 * MiB }), big(20 * 5 * MiB)),
        (e) => e === refused,
      );
      // 8 parts at once; the failed one's slot may start a ninth before the failure is handled. None
      // after: not even once the parts in flight have finished.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = sent.filter((s) => s.command === "UploadPartCopyCommand").length;
      assert.ok(started >= 8 && started <= 9, `${started} of 20 parts started`);
      assert.deepEqual(sent.find((s) => s.command === "AbortMultipartUploadCommand")?.input, {
        Bucket: BACKUP_BUCKET,
        Key: `${SOURCE_BUCKET}/dir/ledger.csv`,
        UploadId: "up-1",
      });
      assert.equal(sent.filter((s) => s.command === "CompleteMultipartUploadCommand").length, 0);
    });

    it("must copy every range of the listed version as its numbered part and complete the upload with them", async () => {
      const { s3, sent } = parts((input) => ({
        CopyPartResult: { ETag: q(`${String(input.PartNumber)}`.repeat(32)) },
      }));
      const ctx = copyContext(s3, { partSize: 5 * MiB });
      await copyObject(ctx, big(12 * MiB));
      assert.deepEqual(
        sent
          .filter((s) => s.command === "UploadPartCopyCommand")
          .map(({ input }) => [
            input.PartNumber,
            input.CopySourceRange,
            input.CopySource,
            input.CopySourceIfMatch,
            input.UploadId,
          ]),
        [
          [1, `bytes=0-${5 * MiB - 1}`, `${SOURCE_BUCKET}/dir/ledger.csv`, q(V1), "up-1"],
          [2, `bytes=${5 * MiB}-${10 * MiB - 1}`, `${SOURCE_BUCKET}/dir/ledger.csv`, q(V1), "up-1"],
          [3, `bytes=${10 * MiB}-${12 * MiB - 1}`, `${SOURCE_BUCKET}/dir/ledger.csv`, q(V1), "up-1"],
        ],
      );
      assert.deepEqual(sent.find((s) => s.command === "CompleteMultipartUploadCommand")?.input, {
        Bucket: BACKUP_BUCKET,
        Key: `${SOURCE_BUCKET}/dir/ledger.csv`,
        UploadId: "up-1",
        MultipartUpload: {
          Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: q(String(n).repeat(32)) })),
        },
      });
      assert.equal(ctx.pairs.sourceOf(MULTIPART), V1);
    });
  });

  describe("a restore (provenance in the copy's metadata, no pairs stored)", () => {
    it("must copy a plain-MD5 source version with directive COPY alone when the copy keeps its ETag", async () => {
      const { s3, sent } = scriptedS3({
        CopyObjectCommand: () => ({ CopyObjectResult: { ETag: q(V1) }, ServerSideEncryption: "AES256" }),
      });
      const ctx = copyContext(s3, { sourcePrefix: "app-data/", prefix: "restored/" });
      await copyObject(ctx, listed(V1, { versionId: "v 1" }));
      assert.deepEqual(sent, [
        {
          command: "CopyObjectCommand",
          input: {
            Bucket: BACKUP_BUCKET,
            Key: "restored/dir/ledger.csv",
            CopySource: `${SOURCE_BUCKET}/app-data/dir/ledger.csv?versionId=v%201`,
            MetadataDirective: "COPY",
          },
        },
      ]);
      assert.deepEqual(ctx.destination, { kms: false }, "SSE-S3 learned from the answer");
    });

    it("must learn an SSE-KMS destination from the first copy, copy that object again with its source ETag, and the next ones once", async () => {
      let n = 0;
      const { s3, sent } = scriptedS3({
        CopyObjectCommand: () => {
          n += 1;
          return {
            CopyObjectResult: { ETag: q(`${String(n).repeat(32)}`) },
            ServerSideEncryption: "aws:kms",
          };
        },
        HeadObjectCommand: () => HEAD,
      });
      const ctx = copyContext(s3);
      await copyObject(ctx, listed(V1));
      assert.deepEqual(ctx.destination, { kms: true });
      assert.deepEqual(summary(sent), [
        ["CopyObjectCommand", "COPY"],
        ["HeadObjectCommand", q(V1)],
        ["CopyObjectCommand", "REPLACE"],
      ]);
      assert.deepEqual(sent[2]!.input.Metadata, REPLACED.Metadata);
      assert.equal(ctx.pairs.sourceOf("2".repeat(32)), V1, "the copy that stays");
      sent.length = 0;
      await copyObject(ctx, listed(V2));
      assert.deepEqual(summary(sent), [
        ["HeadObjectCommand", q(V2)],
        ["CopyObjectCommand", "REPLACE"],
      ]);
    });

    it("must record the source ETag when the destination changes ETags without naming its encryption", async () => {
      const { s3, sent } = scriptedS3({
        CopyObjectCommand: (input) => ({
          CopyObjectResult: { ETag: q(input.MetadataDirective === "COPY" ? OTHER : COPY) },
        }),
        HeadObjectCommand: () => HEAD,
      });
      const ctx = copyContext(s3);
      await copyObject(ctx, listed(V1));
      assert.deepEqual(ctx.destination, {}, "still unknown");
      assert.deepEqual(summary(sent), [
        ["CopyObjectCommand", "COPY"],
        ["HeadObjectCommand", q(V1)],
        ["CopyObjectCommand", "REPLACE"],
      ]);
      sent.length = 0;
      await copyObject(ctx, listed(V2));
      assert.deepEqual(summary(sent)[0], ["CopyObjectCommand", "COPY"], "one answer decides nothing yet");
    });

    it("must copy a multipart source, or into a known SSE-KMS destination, once with REPLACE and the source ETag", async () => {
      const { s3, sent } = scriptedS3({
        CopyObjectCommand: () => ({ CopyObjectResult: { ETag: q(COPY) } }),
        HeadObjectCommand: () => ({ ...HEAD, ETag: q(MULTIPART) }),
      });
      await copyObject(copyContext(s3), listed(MULTIPART));
      assert.deepEqual(summary(sent), [
        ["HeadObjectCommand", q(MULTIPART)],
        ["CopyObjectCommand", "REPLACE"],
      ]);
      assert.deepEqual(sent[1]!.input.Metadata, { owner: "devops", [SOURCE_ETAG_METADATA]: MULTIPART });
      sent.length = 0;
      await copyObject(copyContext(s3, { destination: { kms: true } }), listed(V1));
      assert.deepEqual(summary(sent), [
        ["HeadObjectCommand", q(V1)],
        ["CopyObjectCommand", "REPLACE"],
      ]);
    });
  });

  describe("aborted", () => {
    const ANSWERS: Record<string, Answer> = {
      HeadObjectCommand: () => HEAD,
      GetObjectTaggingCommand: () => ({ TagSet: [{ Key: "team", Value: "devops" }] }),
      CreateMultipartUploadCommand: () => ({ UploadId: "up-1" }),
      UploadPartCopyCommand: () => ({ CopyPartResult: { ETag: q(OTHER) } }),
      CompleteMultipartUploadCommand: () => ({ ETag: q(MULTIPART) }),
      AbortMultipartUploadCommand: () => ({}),
    };

    /**
     * Runs `copy` with the run's signal firing once `answered` requests have been answered: the next
     * request must be the last one sent, and fail as aborted.
     */
    async function abortAfter(
      answered: number,
      extra: Partial<CopyContext>,
      source: ListedObject,
      options: { withSourceEtag?: boolean } = {},
      copyAnswer: Answer = () => ({ CopyObjectResult: { ETag: q(COPY) } }),
    ): Promise<string[]> {
      const controller = new AbortController();
      let count = 0;
      const counted =
        (answer: Answer): Answer =>
        (input) => {
          const out = answer(input);
          count += 1;
          if (count === answered) controller.abort(new Error("job timeout"));
          return out;
        };
      const answers = Object.fromEntries(
        Object.entries({ ...ANSWERS, CopyObjectCommand: copyAnswer }).map(([k, a]) => [k, counted(a)]),
      );
      const { s3, sent } = scriptedS3(answers);
      if (answered === 0) controller.abort(new Error("job timeout"));
      const ctx = copyContext(s3, { ...extra, signal: controller.signal });
      await assert.rejects(copyObject(ctx, source, options), { name: "AbortError" });
      return sent.map((s) => s.command);
    }

    it("must send each request of a copy under the run's signal, whichever way it copies", async () => {
      const pairs = { provenance: "pairs" } as const;
      assert.deepEqual(await abortAfter(0, pairs, listed(V1)), ["CopyObjectCommand"]);
      assert.deepEqual(await abortAfter(0, pairs, listed(V1), { withSourceEtag: true }), [
        "HeadObjectCommand",
      ]);
      assert.deepEqual(await abortAfter(1, pairs, listed(V1), { withSourceEtag: true }), [
        "HeadObjectCommand",
        "CopyObjectCommand",
      ]);
      const otherEtag = () => ({ CopyObjectResult: { ETag: q(OTHER) } });
      assert.deepEqual(await abortAfter(0, {}, listed(V1), {}, otherEtag), ["CopyObjectCommand"]);
      assert.deepEqual(await abortAfter(1, {}, listed(V1), {}, otherEtag), [
        "CopyObjectCommand",
        "HeadObjectCommand",
      ]);
      assert.deepEqual(await abortAfter(2, {}, listed(V1), {}, otherEtag), [
        "CopyObjectCommand",
        "HeadObjectCommand",
        "CopyObjectCommand",
      ]);
    });

    it("must send each request of a copy in parts under the run's signal, and still abort the upload it started", async () => {
      const big = listed(V1, { size: 101 });
      assert.deepEqual(await abortAfter(0, {}, big), ["HeadObjectCommand"]);
      assert.deepEqual(await abortAfter(1, {}, big), ["HeadObjectCommand", "GetObjectTaggingCommand"]);
      assert.deepEqual(await abortAfter(2, {}, big), [
        "HeadObjectCommand",
        "GetObjectTaggingCommand",
        "CreateMultipartUploadCommand",
      ]);
      const started = ["HeadObjectCommand", "GetObjectTaggingCommand", "CreateMultipartUploadCommand"];
      assert.deepEqual(await abortAfter(3, {}, big), [
        ...started,
        "UploadPartCopyCommand",
        "AbortMultipartUploadCommand",
      ]);
      assert.deepEqual(await abortAfter(4, {}, big), [
        ...started,
        "UploadPartCopyCommand",
        "CompleteMultipartUploadCommand",
        "AbortMultipartUploadCommand",
      ]);
    });
  });
});
