/**
 * The files an S3 Batch Operations copy job reads and writes: the CSV manifest the job copies from
 * (with a side file of the listed sizes and ETags, which the follow-up turns into pairs of ETags),
 * and the completion report it leaves behind. Both are written and read line by line, so a job of
 * ten million keys costs a temporary file on disk, never the keys in memory.
 *
 * Manifest: CSV rows `bucket,key[,versionId]`, "Object keys must be URL-encoded"
 * (format S3BatchOperations_CSV_20180820,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html).
 * Report (format Report_CSV_20180820): `<prefix>/job-<id>/manifest.json` lists the result files,
 * each with its TaskExecutionStatus; their rows are Bucket, Key, VersionId, TaskStatus, then the
 * HTTP status and error code, then ResultMessage
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html). The
 * page's ReportSchema line names ErrorCode before HTTPStatusCode while its example rows put the
 * status first, so the reader takes whichever of the two is numeric as the status.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { normalizeEtag, type ListedObject } from "./s3-listing";

/** What S3PutObjectCopy accepts: "objects up to 5 GB" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-copy-object.html). */
export const BATCH_COPY_MAX_BYTES = 5 * 1024 ** 3;

export function encodeManifestKey(key: string): string {
  return encodeURIComponent(key);
}

/** A key as a manifest or report row holds it; a row S3 did not encode comes back as it is. */
export function decodeManifestKey(field: string): string {
  try {
    return decodeURIComponent(field);
  } catch {
    return field;
  }
}

async function write(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, "drain");
}

async function end(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once("error", reject);
    stream.end(resolve);
  });
}

/** The manifest being written during a sync, in key order, in a temporary directory. */
export class BatchManifest {
  count = 0;

  private constructor(
    private readonly dir: string,
    private readonly sourceBucket: string,
    private readonly manifest: WriteStream,
    private readonly etags: WriteStream,
  ) {}

  static async create(sourceBucket: string): Promise<BatchManifest> {
    const dir = await mkdtemp(join(tmpdir(), "drox-batch-"));
    return new BatchManifest(
      dir,
      sourceBucket,
      createWriteStream(join(dir, "manifest.csv")),
      createWriteStream(join(dir, "etags.csv")),
    );
  }

  async add(source: ListedObject): Promise<void> {
    const key = encodeManifestKey(source.key);
    this.count += 1;
    await write(this.manifest, `${this.sourceBucket},${key}\n`);
    await write(this.etags, `${key},${source.size},${normalizeEtag(source.etag)}\n`);
  }

  /** Closes both files and uploads them; returns the manifest's ETag (CreateJob names it). */
  async upload(
    s3: S3Client,
    bucket: string,
    keys: { readonly manifest: string; readonly etags: string },
    signal?: AbortSignal,
  ): Promise<string> {
    await Promise.all([end(this.manifest), end(this.etags)]);
    const put = async (file: string, key: string) => {
      const path = join(this.dir, file);
      const out = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: (await stat(path)).size,
          ContentType: "text/csv",
        }),
        { abortSignal: signal },
      );
      return out.ETag ?? "";
    };
    const [etag] = await Promise.all([put("manifest.csv", keys.manifest), put("etags.csv", keys.etags)]);
    return etag;
  }

  async discard(): Promise<void> {
    this.manifest.destroy();
    this.etags.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The lines of an object in the backup bucket, read as they arrive. */
export async function* objectLines(
  s3: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const body = out.Body as Readable | undefined;
  if (!body) return;
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    if (line !== "") yield line;
  }
}

/** The listed sizes and ETags of the objects handed to a job, as the sync listed them (key order). */
export async function* handedOffObjects(
  s3: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): AsyncGenerator<ListedObject> {
  for await (const line of objectLines(s3, bucket, key, signal)) {
    const [encoded = "", size = "0", etag = ""] = line.split(",");
    yield { key: decodeManifestKey(encoded), size: Number(size), etag };
  }
}

export interface FailedTask {
  readonly key: string;
  readonly message: string;
}

/** One row of a completion report: its key and, for a failed task, why. */
export function parseReportRow(line: string): { key: string; status: string; message: string } {
  // Bucket, key, version and status never hold a comma (keys are URL-encoded); the message may.
  const fields: string[] = [];
  let rest = line;
  for (let i = 0; i < 6; i += 1) {
    const at = rest.indexOf(",");
    if (at < 0) break;
    fields.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  fields.push(rest);
  const [, key = "", , status = "", a = "", b = "", text = ""] = fields;
  const statusFirst = /^\d+$/.test(a);
  const code = statusFirst ? b : a;
  const other = statusFirst ? a : b;
  // Only a number is labelled a status: a row without one keeps its other field as it is.
  const httpStatus = /^\d+$/.test(other) ? `HTTP ${other}` : other;
  const unquoted = text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text;
  const message = [code, httpStatus, unquoted].filter((s) => s !== "").join(": ");
  return { key: decodeManifestKey(key), status, message };
}

interface ReportManifest {
  readonly Results?: readonly { TaskExecutionStatus?: string; Bucket?: string; Key?: string }[];
}

/** The failed tasks of a finished job (the first `limit`), from its completion report. */
export async function readFailedTasks(
  s3: S3Client,
  bucket: string,
  reportPrefix: string,
  jobId: string,
  limit: number,
  signal?: AbortSignal,
): Promise<FailedTask[]> {
  const out = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: `${reportPrefix}/job-${jobId}/manifest.json` }),
    { abortSignal: signal },
  );
  const report = JSON.parse((await out.Body?.transformToString("utf-8")) ?? "{}") as ReportManifest;
  const failed: FailedTask[] = [];
  for (const result of report.Results ?? []) {
    if (result.TaskExecutionStatus !== "failed" || result.Key === undefined) continue;
    for await (const line of objectLines(s3, result.Bucket ?? bucket, result.Key, signal)) {
      const row = parseReportRow(line);
      if (row.status === "failed") failed.push({ key: row.key, message: row.message });
      if (failed.length >= limit) return failed;
    }
  }
  return failed;
}
