/**
 * Counts the requests S3 code sends, per command, at the client (moto still serves each one): the
 * specs assert how many copies and HEADs a sync costs, since that is what S3 bills and what bounds
 * a run's time.
 */
import type { ListObjectsV2CommandInput, ListObjectsV2CommandOutput, S3Client } from "@aws-sdk/client-s3";

export function countCommands(s3: S3Client) {
  const counts = new Map<string, number>();
  const active = new Map<string, number>();
  const peaks = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      active.set(name, (active.get(name) ?? 0) + 1);
      peaks.set(name, Math.max(peaks.get(name) ?? 0, active.get(name) ?? 0));
      try {
        return await next(args);
      } finally {
        active.set(name, (active.get(name) ?? 1) - 1);
      }
    },
    { step: "initialize", name: "droxCommandCounter" },
  );
  return {
    count: (name: string) => counts.get(name) ?? 0,
    copies: () => (counts.get("CopyObjectCommand") ?? 0) + (counts.get("UploadPartCopyCommand") ?? 0),
    maxInFlight: (name: string) => peaks.get(name) ?? 0,
    reset: () => {
      counts.clear();
      peaks.clear();
    },
  };
}

export interface ListingRequest {
  readonly bucket: string;
  readonly token?: string;
  readonly sentAt: number;
  answeredAt: number;
}

/**
 * Answers ListObjectsV2 from `buckets` (sorted keys) after `latencyMs`, at the client, recording
 * when each page was asked for and answered. Pages hold up to 1,000 keys as S3's do ("Returns some
 * or all (up to 1,000) of the objects in a bucket with each request",
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html); the continuation token
 * is opaque to callers, here the index of the page's first key.
 */
export function fakeListings(s3: S3Client, buckets: Record<string, readonly string[]>, latencyMs: number) {
  const requests: ListingRequest[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "ListObjectsV2Command") return next(args);
      const input = args.input as ListObjectsV2CommandInput;
      const request: ListingRequest = {
        bucket: input.Bucket ?? "",
        token: input.ContinuationToken,
        sentAt: performance.now(),
        answeredAt: Infinity,
      };
      requests.push(request);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const prefix = input.Prefix ?? "";
      const all = (buckets[request.bucket] ?? []).filter((k) => k.startsWith(prefix));
      const start = Number(input.ContinuationToken ?? "0");
      const page = all.slice(start, start + 1000);
      const truncated = start + 1000 < all.length;
      const output: ListObjectsV2CommandOutput = {
        $metadata: { httpStatusCode: 200 },
        Contents: page.map((Key) => ({ Key, Size: Key.length, ETag: `"${Key}"` })),
        KeyCount: page.length,
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: String(start + 1000) } : {}),
      };
      request.answeredAt = performance.now();
      return { output, response: {} };
    },
    { step: "initialize", name: "droxFakeListings" },
  );
  return { requests };
}
