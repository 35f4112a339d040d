/**
 * Counts the requests S3 code sends, per command, at the client (moto still serves each one): the
 * specs assert how many copies and HEADs a sync costs, since that is what S3 bills and what bounds
 * a run's time.
 */
import type { S3Client } from "@aws-sdk/client-s3";

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
