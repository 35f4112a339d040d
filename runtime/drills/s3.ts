/**
 * S3 drill: a random sample of each source bucket's objects (DRILL_S3_SAMPLE, default 100, or 1 %
 * of the bucket when that is more, at most DRILL_S3_SAMPLE_MAX) is read back in full from the
 * backup bucket (`<source>/<key>`) and compared with the source object by a SHA-256 computed while
 * both bodies stream through — not by ETag, which for multipart copies is no content hash and which
 * the integrity check already compares. A missing, different or unreadable backup object is a
 * CRITICAL finding naming the key; an object changed in the source after its backup was made is
 * only noted (the next backup copies it).
 *
 * The sample is drawn from the source listing (the backup should hold every source object) with a
 * reservoir of at most DRILL_S3_SAMPLE_MAX keys, so memory stays bounded whatever the bucket's size.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createHash, randomInt } from "node:crypto";
import type { Readable } from "node:stream";
import pLimit from "p-limit";
import type { DrillResource, Finding } from "../contract/events";
import { awsErrorCode, messageOf } from "../jobs/result";
import { listObjects, type ListedObject } from "../jobs/s3-listing";
import type { KindRun } from "./context";
import { stopReason } from "./deadline";
import { finding, statusOf } from "./outcome";
import { sampleSize, type DrillSettings } from "./settings";

/** Objects read back at once per bucket (two streams each). */
export const S3_DRILL_CONCURRENCY = 8;

export interface Sample {
  readonly objects: ListedObject[];
  /** Objects in the source bucket. */
  readonly total: number;
}

/**
 * A uniform random sample (reservoir sampling, Algorithm R) of `sampleSize(total)` objects in one
 * pass; the reservoir holds at most s3SampleMax, and a uniform subset of a uniform sample is uniform.
 */
export async function sampleObjects(
  objects: AsyncIterable<ListedObject>,
  settings: Pick<DrillSettings, "s3Sample" | "s3SampleMax">,
  random: (n: number) => number = randomInt,
): Promise<Sample> {
  const reservoir: ListedObject[] = [];
  let total = 0;
  for await (const o of objects) {
    total += 1;
    if (reservoir.length < settings.s3SampleMax) reservoir.push(o);
    else {
      const j = random(total);
      if (j < settings.s3SampleMax) reservoir[j] = o;
    }
  }
  const want = sampleSize(total, settings);
  for (let i = 0; i < want; i++) {
    // Partial Fisher–Yates: the first `want` places get a uniform choice of the rest.
    const j = i + random(reservoir.length - i);
    const picked = reservoir[j];
    const current = reservoir[i];
    if (picked === undefined || current === undefined) break;
    reservoir[i] = picked;
    reservoir[j] = current;
  }
  return { objects: reservoir.slice(0, want), total };
}

interface Digest {
  readonly sha256: string;
  readonly bytes: number;
  readonly lastModified?: Date;
}

async function digest(s3: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<Digest> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of out.Body as Readable) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    bytes += buffer.length;
  }
  return {
    sha256: hash.digest("hex"),
    bytes,
    ...(out.LastModified ? { lastModified: out.LastModified } : {}),
  };
}

type Read = { ok: Digest } | { error: unknown };

async function read(s3: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<Read> {
  try {
    return { ok: await digest(s3, bucket, key, signal) };
  } catch (error) {
    return { error };
  }
}

async function drillBucket(run: KindRun, backupBucket: string, source: string): Promise<DrillResource> {
  const { deps, deadline } = run;
  const signal = deadline.signal;
  const findings: Finding[] = [];
  const done = (extra: Partial<DrillResource>): DrillResource => ({
    type: "S3",
    resource: source,
    ...extra,
    status: statusOf(findings),
    findings,
  });
  let sample: Sample;
  try {
    sample = await sampleObjects(
      listObjects({ s3: deps.s3, bucket: source, role: "source", signal }),
      deps.drillSettings,
    );
  } catch (error) {
    const why = signal.aborted ? stopReason(deadline, deps.drillSettings.deadlineMinutes) : messageOf(error);
    findings.push(finding("CRITICAL", `s3://${source}`, `source bucket could not be sampled: ${why}`));
    return done({});
  }
  if (sample.total === 0) {
    findings.push(finding("WARNING", `s3://${source}`, "source bucket is empty: nothing to read back"));
    return done({ sample: { objects: 0, bytes: 0, sourceObjects: 0 } });
  }
  const limit = pLimit(S3_DRILL_CONCURRENCY);
  let compared = 0;
  let bytes = 0;
  let stopped = false;
  await Promise.all(
    sample.objects.map((o) =>
      limit(async () => {
        if (signal.aborted) {
          stopped = true;
          return;
        }
        const backupKey = `${source}/${o.key}`;
        const where = `s3://${backupBucket}/${backupKey}`;
        const [backup, original] = await Promise.all([
          read(deps.s3, backupBucket, backupKey, signal),
          read(deps.s3, source, o.key, signal),
        ]);
        if (signal.aborted) {
          stopped = true;
          return;
        }
        compared += 1;
        if ("error" in backup) {
          const code = awsErrorCode(backup.error);
          findings.push(
            code === "NoSuchKey"
              ? finding("CRITICAL", where, `missing from the backup (source s3://${source}/${o.key})`)
              : finding("CRITICAL", where, `backup object unreadable: ${code ?? messageOf(backup.error)}`),
          );
          return;
        }
        bytes += backup.ok.bytes;
        if ("error" in original) {
          // Deleted from the source since it was listed: the backup keeps it, nothing to compare.
          if (awsErrorCode(original.error) === "NoSuchKey") return;
          findings.push(
            finding(
              "WARNING",
              `s3://${source}/${o.key}`,
              `source object unreadable: ${messageOf(original.error)}`,
            ),
          );
          return;
        }
        if (original.ok.sha256 === backup.ok.sha256 && original.ok.bytes === backup.ok.bytes) return;
        const changed =
          original.ok.lastModified &&
          backup.ok.lastModified &&
          original.ok.lastModified > backup.ok.lastModified;
        findings.push(
          changed
            ? finding("INFO", where, "source changed after this backup was made; the next backup copies it")
            : finding(
                "CRITICAL",
                where,
                `content differs from the source: backup sha256 ${backup.ok.sha256.slice(0, 12)}… (${backup.ok.bytes} bytes), source sha256 ${original.ok.sha256.slice(0, 12)}… (${original.ok.bytes} bytes)`,
              ),
        );
      }),
    ),
  );
  if (stopped) {
    findings.push(
      finding(
        "CRITICAL",
        `s3://${source}`,
        `read back ${compared} of ${sample.objects.length} sampled objects: ${stopReason(deadline, deps.drillSettings.deadlineMinutes)}`,
      ),
    );
  }
  // Findings in key order, whatever order the reads finished in.
  findings.sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  return done({ sample: { objects: compared, bytes, sourceObjects: sample.total } });
}

/** Buckets one after another: each already reads S3_DRILL_CONCURRENCY objects at once. */
export async function drillS3Buckets(
  run: KindRun,
  backupBucket: string,
  sources: readonly string[],
): Promise<DrillResource[]> {
  const out: DrillResource[] = [];
  for (const source of sources) out.push(await drillBucket(run, backupBucket, source));
  return out;
}
