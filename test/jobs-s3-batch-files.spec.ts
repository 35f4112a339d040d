import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import {
  BATCH_COPY_MAX_BYTES,
  BatchManifest,
  decodeManifestKey,
  encodeManifestKey,
  handedOffObjects,
  objectLines,
  parseReportRow,
  readFailedTasks,
} from "../runtime/jobs/s3-batch-files";
import { FakeS3Objects } from "./fakes/s3-objects";

const BUCKET = "drox-backups";

function store(): { s3: S3Client; fake: FakeS3Objects } {
  const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  return { s3, fake: new FakeS3Objects(s3) };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * A completion report as S3 Batch Operations leaves it (Report_CSV_20180820,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html): the
 * manifest.json listing the result files by TaskExecutionStatus, and the CSV result files.
 */
function putReport(
  fake: FakeS3Objects,
  jobId: string,
  results: { status: string; rows?: string[]; bucket?: string | null; key?: string | null }[],
): void {
  const entries = results.map((r, i) => {
    const key = r.key === undefined ? `reports/job-${jobId}/results/${i}.csv` : r.key;
    if (key !== null && r.rows !== undefined) fake.putText(r.bucket ?? BUCKET, key, r.rows.join("\n") + "\n");
    return {
      TaskExecutionStatus: r.status,
      ...(r.bucket === null ? {} : { Bucket: r.bucket ?? BUCKET }),
      MD5Checksum: "f2c4e0a4c8e6d5b6",
      ...(key === null ? {} : { Key: key }),
    };
  });
  fake.putText(
    BUCKET,
    `reports/job-${jobId}/manifest.json`,
    JSON.stringify({
      Format: "Report_CSV_20180820",
      ReportCreationDate: "2026-12-01T03:00:00.000Z",
      Results: entries,
      ReportSchema: "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
    }),
  );
}

describe("S3 Batch Operations files", () => {
  it("must hand S3 Batch Operations objects of up to 5 GB, what S3PutObjectCopy copies", () => {
    assert.equal(BATCH_COPY_MAX_BYTES, 5_368_709_120);
  });

  it("must URL-encode a manifest's keys and decode them back, keeping a field S3 did not encode", () => {
    assert.equal(encodeManifestKey("dir/a b,c+ü.txt"), "dir%2Fa%20b%2Cc%2B%C3%BC.txt");
    assert.equal(decodeManifestKey("dir%2Fa%20b%2Cc%2B%C3%BC.txt"), "dir/a b,c+ü.txt");
    assert.equal(decodeManifestKey("100%"), "100%");
    assert.equal(decodeManifestKey("%E0%A4%A"), "%E0%A4%A");
  });

  describe("BatchManifest", () => {
    let tmp: string;
    let savedTmp: string | undefined;
    beforeEach(async () => {
      // A directory of the spec's own, so no other process's temporary files are counted.
      tmp = await mkdtemp(join(tmpdir(), "drox-spec-"));
      savedTmp = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
    });
    afterEach(async () => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      await rm(tmp, { recursive: true, force: true });
    });

    it("must write the CSV manifest S3 reads and the side file of sizes and ETags, and upload both", async () => {
      const { s3, fake } = store();
      const manifest = await BatchManifest.create("big-data");
      assert.deepEqual(
        (await readdir(tmp)).map((name) => name.replace(/[^-]+$/, "")),
        ["drox-batch-"],
        "one temporary directory of its own",
      );
      assert.equal(manifest.count, 0);
      await manifest.add({ key: "a b/ü.txt", size: 12, etag: '"9b2cf535f27731c974343645a3985328"' });
      await manifest.add({ key: "z,1", size: 0, etag: "d41d8cd98f00b204e9800998ecf8427e" });
      assert.equal(manifest.count, 2);
      const controller = new AbortController();
      const etag = await manifest.upload(
        s3,
        BUCKET,
        { manifest: "batch/run-1/manifest.csv", etags: "batch/run-1/etags.csv" },
        controller.signal,
      );
      const rows = "big-data,a%20b%2F%C3%BC.txt\nbig-data,z%2C1\n";
      assert.equal(fake.text(BUCKET, "batch/run-1/manifest.csv"), rows);
      assert.equal(
        fake.text(BUCKET, "batch/run-1/etags.csv"),
        "a%20b%2F%C3%BC.txt,12,9b2cf535f27731c974343645a3985328\nz%2C1,0,d41d8cd98f00b204e9800998ecf8427e\n",
      );
      // CreateJob names the manifest by its ETag: the manifest's, not the side file's.
      assert.equal(etag, `"${createHash("md5").update(rows).digest("hex")}"`);
      const puts = fake.sent("PutObject");
      assert.equal(puts.length, 2);
      for (const put of puts) {
        assert.equal(put.input.ContentType, "text/csv");
        assert.equal(put.input.ContentLength, fake.objects.get(`${BUCKET}/${put.key}`)?.body.length);
        assert.equal(put.signal, controller.signal);
      }
      await manifest.discard();
      assert.deepEqual(await readdir(tmp), [], "the temporary files are removed");
    });

    it("must write a manifest of many keys whole, waiting for the disk as it goes", async () => {
      const { s3, fake } = store();
      const manifest = await BatchManifest.create("src");
      const keys = Array.from({ length: 5000 }, (_, i) => `${"k".repeat(40)}${i}`);
      for (const key of keys) await manifest.add({ key, size: 1, etag: '"e"' });
      await manifest.upload(s3, BUCKET, { manifest: "m.csv", etags: "e.csv" });
      assert.equal(fake.text(BUCKET, "m.csv"), keys.map((k) => `src,${k}\n`).join(""));
      assert.equal(fake.text(BUCKET, "e.csv"), keys.map((k) => `${k},1,e\n`).join(""));
      await manifest.discard();
    });

    it("must answer an empty ETag when S3 named none, and discard an unfinished manifest", async () => {
      const { s3 } = store();
      s3.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          delete (result.output as { ETag?: string }).ETag;
          return result;
        },
        { step: "initialize", name: "noEtag", priority: "high" },
      );
      const manifest = await BatchManifest.create("src");
      await manifest.add({ key: "a", size: 1, etag: '"e"' });
      assert.equal(await manifest.upload(s3, BUCKET, { manifest: "m.csv", etags: "e.csv" }), "");
      await manifest.discard();
      assert.deepEqual(await readdir(tmp), []);
    });

    it("must close and remove an unfinished manifest's files, and may be discarded twice", async () => {
      // The process's open files (Linux): a discarded manifest keeps none.
      const openFiles = () => readdirSync("/proc/self/fd").length;
      const before = openFiles();
      const unfinished = await BatchManifest.create("src");
      await unfinished.add({ key: "a", size: 1, etag: '"e"' });
      await unfinished.discard();
      for (let waited = 0; openFiles() > before && waited < 2000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(openFiles(), before);
      assert.deepEqual(await readdir(tmp), []);
      await unfinished.discard();
    });
  });

  it("must read an object's lines as they arrive, skipping blank ones, CRLF or LF", async () => {
    const { s3, fake } = store();
    fake.putText(BUCKET, "lines.csv", "a,1\r\n\r\nb,2\nc,3");
    const controller = new AbortController();
    assert.deepEqual(await collect(objectLines(s3, BUCKET, "lines.csv", controller.signal)), [
      "a,1",
      "b,2",
      "c,3",
    ]);
    assert.equal(fake.requests[0]?.signal, controller.signal);
    controller.abort();
    await assert.rejects(collect(objectLines(s3, BUCKET, "lines.csv", controller.signal)), {
      name: "AbortError",
    });
  });

  it("must read no lines from an answer without a body", async () => {
    const { s3, fake } = store();
    fake.putText(BUCKET, "empty.csv", "a\n");
    s3.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        delete (result.output as { Body?: unknown }).Body;
        return result;
      },
      { step: "initialize", name: "noBody", priority: "high" },
    );
    assert.deepEqual(await collect(objectLines(s3, BUCKET, "empty.csv")), []);
  });

  it("must read back the listed sizes and ETags of the objects handed to a job", async () => {
    const { s3, fake } = store();
    fake.putText(BUCKET, "etags.csv", "a%20b%2F%C3%BC.txt,12,9b2c\nz%2C1,0,d41d\nbare\n");
    const controller = new AbortController();
    assert.deepEqual(await collect(handedOffObjects(s3, BUCKET, "etags.csv", controller.signal)), [
      { key: "a b/ü.txt", size: 12, etag: "9b2c" },
      { key: "z,1", size: 0, etag: "d41d" },
      { key: "bare", size: 0, etag: "" },
    ]);
    assert.equal(fake.requests[0]?.signal, controller.signal);
  });

  describe("parseReportRow", () => {
    it("must read a failed task's key and its error code, HTTP status and message in either order", () => {
      assert.deepEqual(parseReportRow("bk,dir%2Fa%20b,,failed,403,AccessDenied,Access Denied"), {
        key: "dir/a b",
        status: "failed",
        message: "AccessDenied: HTTP 403: Access Denied",
      });
      assert.deepEqual(parseReportRow("bk,k,3HxL,failed,InvalidObjectState,400,Object is archived"), {
        key: "k",
        status: "failed",
        message: "InvalidObjectState: HTTP 400: Object is archived",
      });
    });

    it("must keep the commas of a message, and unquote a quoted one", () => {
      assert.equal(
        parseReportRow(
          "bk,k,,failed,500,InternalError,We encountered an internal error, please try again, later",
        ).message,
        "InternalError: HTTP 500: We encountered an internal error, please try again, later",
      );
      assert.equal(
        parseReportRow('bk,k,,failed,403,AccessDenied,"Access, ""denied"" by ""policy"""').message,
        'AccessDenied: HTTP 403: Access, "denied" by "policy"',
      );
      assert.equal(
        parseReportRow('bk,k,,failed,403,AccessDenied,"half quoted').message,
        'AccessDenied: HTTP 403: "half quoted',
      );
      assert.equal(
        parseReportRow('bk,k,,failed,403,AccessDenied,said "no"').message,
        'AccessDenied: HTTP 403: said "no"',
      );
    });

    it("must label only an all-digit field as the status", () => {
      assert.equal(parseReportRow("bk,k,,failed,Error2,409,m").message, "Error2: HTTP 409: m");
      assert.equal(parseReportRow("bk,k,,failed,2xx,409,m").message, "2xx: HTTP 409: m");
      assert.equal(parseReportRow("bk,k,,failed,Code,v2,m").message, "Code: v2: m");
      assert.equal(parseReportRow("bk,k,,failed,Code,2v,m").message, "Code: 2v: m");
      // Without a status, the code is not called one, whichever field holds it.
      assert.equal(parseReportRow("bk,k,,failed,,PermanentFailure,m").message, "PermanentFailure: m");
      assert.equal(parseReportRow("bk,k,,failed,PermanentFailure,,m").message, "PermanentFailure: m");
      assert.equal(
        parseReportRow("bk,k,,failed,InvalidRequest,Detail,m").message,
        "InvalidRequest: Detail: m",
      );
    });

    it("must leave out what a row does not have", () => {
      assert.deepEqual(parseReportRow("bk,k,,succeeded,200,,Successful"), {
        key: "k",
        status: "succeeded",
        message: "HTTP 200: Successful",
      });
      assert.deepEqual(parseReportRow("bk,k,,failed,,PermanentFailure,"), {
        key: "k",
        status: "failed",
        message: "PermanentFailure",
      });
      assert.deepEqual(parseReportRow("bk,k,,failed"), { key: "k", status: "failed", message: "" });
      assert.deepEqual(parseReportRow("bk,k"), { key: "k", status: "", message: "" });
      assert.deepEqual(parseReportRow("bk"), { key: "", status: "", message: "" });
      assert.deepEqual(parseReportRow(",,,failed,,,"), { key: "", status: "failed", message: "" });
    });
  });

  describe("readFailedTasks", () => {
    it("must read the failed tasks of the report's failed result files only", async () => {
      const { s3, fake } = store();
      putReport(fake, "j-1", [
        { status: "succeeded", rows: ["big-data,ok,,succeeded,200,,Successful"] },
        {
          status: "failed",
          rows: [
            "big-data,zz-cold%2Fa.bin,,failed,403,InvalidObjectState,Object is archived",
            "big-data,fine,,succeeded,200,,Successful",
            "big-data,zz-cold%2Fb.bin,,failed,InvalidObjectState,403,Object is archived",
          ],
        },
        { status: "failed", key: null },
      ]);
      const controller = new AbortController();
      const failed = await readFailedTasks(s3, BUCKET, "reports", "j-1", 10, controller.signal);
      assert.deepEqual(failed, [
        { key: "zz-cold/a.bin", message: "InvalidObjectState: HTTP 403: Object is archived" },
        { key: "zz-cold/b.bin", message: "InvalidObjectState: HTTP 403: Object is archived" },
      ]);
      assert.deepEqual(
        fake.requests.map((r) => r.key),
        ["reports/job-j-1/manifest.json", "reports/job-j-1/results/1.csv"],
      );
      assert.ok(fake.requests.every((r) => r.signal === controller.signal));
    });

    it("must stop at the limit, within a file and across files", async () => {
      const { s3, fake } = store();
      const rows = (from: number) =>
        Array.from({ length: 3 }, (_, i) => `big-data,k${from + i},,failed,500,InternalError,x`);
      putReport(fake, "j-2", [
        { status: "failed", rows: rows(0) },
        { status: "failed", rows: rows(3) },
      ]);
      assert.deepEqual(
        (await readFailedTasks(s3, BUCKET, "reports", "j-2", 2)).map((t) => t.key),
        ["k0", "k1"],
      );
      assert.deepEqual(
        (await readFailedTasks(s3, BUCKET, "reports", "j-2", 4)).map((t) => t.key),
        ["k0", "k1", "k2", "k3"],
      );
      assert.deepEqual(
        (await readFailedTasks(s3, BUCKET, "reports", "j-2", 100)).map((t) => t.key),
        ["k0", "k1", "k2", "k3", "k4", "k5"],
      );
    });

    it("must read a result file from the bucket the report names, or the report's own", async () => {
      const { s3, fake } = store();
      putReport(fake, "j-3", [
        { status: "failed", bucket: "other-reports", rows: ["big-data,a,,failed,403,AccessDenied,no"] },
        { status: "failed", bucket: null, rows: ["big-data,b,,failed,403,AccessDenied,no"] },
      ]);
      assert.deepEqual(
        (await readFailedTasks(s3, BUCKET, "reports", "j-3", 10)).map((t) => t.key),
        ["a", "b"],
      );
      assert.deepEqual(
        fake.requests.slice(1).map((r) => r.bucket),
        ["other-reports", BUCKET],
      );
    });

    it("must find no failed task in a report without results", async () => {
      const { s3, fake } = store();
      fake.putText(
        BUCKET,
        "reports/job-j-4/manifest.json",
        JSON.stringify({ Format: "Report_CSV_20180820" }),
      );
      assert.deepEqual(await readFailedTasks(s3, BUCKET, "reports", "j-4", 10), []);
      s3.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          delete (result.output as { Body?: unknown }).Body;
          return result;
        },
        { step: "initialize", name: "noBody", priority: "high" },
      );
      assert.deepEqual(await readFailedTasks(s3, BUCKET, "reports", "j-4", 10), []);
    });
  });
});
