/**
 * EBS backups: one snapshot per volume, tagged as ours, awaited together until `completed` within
 * JOB_TIMEOUT_SECONDS, then (with DR_REGION) copied to the DR region.
 *
 * Snapshots are started with bounded concurrency and awaited with one waiter over all of them, so
 * 200 volumes cost 200 CreateSnapshot calls plus a handful of DescribeSnapshots polls — not 200
 * waiters polling side by side into EC2's request-rate limit.
 */
import {
  CreateSnapshotCommand,
  DescribeSnapshotsCommand,
  waitUntilSnapshotCompleted,
  type Snapshot,
} from "@aws-sdk/client-ec2";
import pLimit from "p-limit";
import type { BackupResult } from "../contract/events";
import { abortedOutcome, abortReason, ABORTED_CODE } from "./abort";
import type { JobDeps } from "./context";
import { snapshotPendingMessage, SNAPSHOT_PENDING_CODE } from "./pending";
import { copyEbsSnapshot } from "./dr-copy";
import {
  awsErrorCode,
  finishRun,
  GIB,
  messageOf,
  startRun,
  type JobIdFor,
  type Outcome,
  type RunClock,
} from "./result";
import { snapshotTags } from "./tags";
import { waitBounds } from "./wait";

/** Calls in flight at once; EC2's CreateSnapshot bucket refills at a few calls per second. */
export const EBS_CONCURRENCY = 8;
const DESCRIBE_BATCH = 200;

export interface EbsOptions {
  /** Waiter poll bounds in seconds; tests and moto need no 15 s pause. @default 5 / 60 */
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
  readonly concurrency?: number;
}

interface Started {
  readonly volumeId: string;
  readonly clock: RunClock;
  readonly snapshotId?: string;
  readonly sizeBytes?: number;
  readonly failure?: Outcome;
}

function createFailure(volumeId: string, error: unknown): Outcome {
  const code = awsErrorCode(error);
  if (code === "InvalidVolume.NotFound" || code === "InvalidVolumeID.Malformed") {
    return { status: "FAILED", error: { message: `Volume not found: ${volumeId}`, code } };
  }
  return { status: "FAILED", error: { message: messageOf(error), ...(code ? { code } : {}) } };
}

async function describeAll(deps: JobDeps, ids: readonly string[]): Promise<Map<string, Snapshot>> {
  const found = new Map<string, Snapshot>();
  for (let i = 0; i < ids.length; i += DESCRIBE_BATCH) {
    const out = await deps.ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: ids.slice(i, i + DESCRIBE_BATCH) }),
    );
    // Stryker disable next-line ArrayDeclaration: a stand-in element has no SnapshotId and is skipped like an empty answer
    for (const s of out.Snapshots ?? []) if (s.SnapshotId) found.set(s.SnapshotId, s);
  }
  return found;
}

async function waitForAll(
  deps: JobDeps,
  ids: readonly string[],
  options: EbsOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + deps.settings.jobTimeoutSeconds * 1000;
  for (let i = 0; i < ids.length; i += DESCRIBE_BATCH) {
    if (signal?.aborted) return;
    try {
      await waitUntilSnapshotCompleted(
        {
          client: deps.ec2,
          abortSignal: signal,
          ...waitBounds(deadline, options.minDelaySeconds ?? 5, options.maxDelaySeconds ?? 60),
        },
        { SnapshotIds: ids.slice(i, i + DESCRIBE_BATCH) },
      );
    } catch (error) {
      // A timeout or one snapshot in `error` ends the waiter; each snapshot is judged below.
      deps.logger.warn({ err: messageOf(error) }, "snapshot waiter ended without success");
    }
  }
}

export async function backupEbsVolumes(
  deps: JobDeps,
  volumeIds: readonly string[],
  options: EbsOptions = {},
  signal?: AbortSignal,
  jobIdFor?: JobIdFor,
): Promise<BackupResult[]> {
  const limit = pLimit(options.concurrency ?? EBS_CONCURRENCY);
  const started = await Promise.all(
    volumeIds.map((volumeId) =>
      limit(async (): Promise<Started> => {
        const clock = startRun(deps.now(), jobIdFor?.(volumeId));
        if (signal?.aborted)
          return { volumeId, clock, failure: abortedOutcome(signal, "before its snapshot was started") };
        try {
          const out = await deps.ec2.send(
            new CreateSnapshotCommand({
              VolumeId: volumeId,
              Description: `drox-backup ${clock.jobId}`,
              TagSpecifications: [
                {
                  ResourceType: "snapshot",
                  Tags: snapshotTags({
                    jobId: clock.jobId,
                    source: volumeId,
                    retentionDays: deps.settings.retentionDays,
                  }),
                },
              ],
            }),
          );
          return {
            volumeId,
            clock,
            snapshotId: out.SnapshotId,
            sizeBytes: out.VolumeSize === undefined ? undefined : out.VolumeSize * GIB,
          };
        } catch (error) {
          return { volumeId, clock, failure: createFailure(volumeId, error) };
        }
      }),
    ),
  );
  const ids = started.flatMap((s) => (s.snapshotId ? [s.snapshotId] : []));
  if (ids.length > 0) await waitForAll(deps, ids, options, signal);
  const states = ids.length > 0 ? await describeAll(deps, ids) : new Map<string, Snapshot>();
  const sourceRegion = deps.settings.region ?? (await deps.ec2.config.region());
  const drRegion = deps.settings.drRegion;
  const drEc2 = deps.drEc2;

  return Promise.all(
    started.map((s) =>
      limit(async (): Promise<BackupResult> => {
        if (s.failure || !s.snapshotId) {
          return finishRun(
            s.clock,
            "EBS",
            s.volumeId,
            deps.now(),
            s.failure ?? { status: "FAILED", error: { message: "CreateSnapshot returned no snapshot id" } },
          );
        }
        const snapshot = states.get(s.snapshotId);
        const metrics = {
          snapshotId: s.snapshotId,
          ...(s.sizeBytes === undefined ? {} : { sizeBytes: s.sizeBytes }),
        };
        if (snapshot?.State !== "completed" && snapshot?.State !== "error" && signal?.aborted) {
          return finishRun(
            s.clock,
            "EBS",
            s.volumeId,
            deps.now(),
            abortedOutcome(
              signal,
              `before snapshot ${s.snapshotId} completed (state ${snapshot?.State ?? "unknown"})`,
              { metrics },
            ),
          );
        }
        if (snapshot?.State === "pending") {
          // Created and progressing: first snapshots of big volumes take hours. Not a failure;
          // the integrity check reports it if it is still pending after its grace period.
          return finishRun(s.clock, "EBS", s.volumeId, deps.now(), {
            status: "WARNING",
            metrics,
            error: {
              message: snapshotPendingMessage(
                `Snapshot ${s.snapshotId}`,
                "pending",
                deps.settings.jobTimeoutSeconds,
              ),
              code: SNAPSHOT_PENDING_CODE,
            },
          });
        }
        if (snapshot?.State !== "completed") {
          const message =
            snapshot?.State === "error"
              ? `Snapshot ${s.snapshotId} failed: ${snapshot.StateMessage ?? "no reason given"}`
              : `Snapshot ${s.snapshotId} not completed within ${deps.settings.jobTimeoutSeconds} s (state ${snapshot?.State ?? "unknown"})`;
          return finishRun(s.clock, "EBS", s.volumeId, deps.now(), {
            status: "FAILED",
            metrics,
            error: { message, code: snapshot?.State === "error" ? "SnapshotFailed" : "SnapshotTimeout" },
          });
        }
        if (!drRegion || !drEc2) {
          return finishRun(s.clock, "EBS", s.volumeId, deps.now(), { status: "SUCCEEDED", metrics });
        }
        if (signal?.aborted) {
          // The snapshot itself is done; only its DR copy is missing (the integrity check flags it).
          return finishRun(s.clock, "EBS", s.volumeId, deps.now(), {
            status: "WARNING",
            metrics,
            error: {
              message: `Cross-region copy to ${drRegion} not started, the run was aborted: ${abortReason(signal)}`,
              code: ABORTED_CODE,
            },
          });
        }
        try {
          const copy = await copyEbsSnapshot(drEc2, s.snapshotId, {
            sourceRegion,
            targetRegion: drRegion,
            jobId: s.clock.jobId,
            source: s.volumeId,
            retentionDays: deps.settings.drRetentionDays,
            kmsKeyId: deps.settings.drKmsKeyId,
          });
          return finishRun(s.clock, "EBS", s.volumeId, deps.now(), {
            status: "SUCCEEDED",
            metrics: { ...metrics, ...copy },
          });
        } catch (error) {
          return finishRun(s.clock, "EBS", s.volumeId, deps.now(), {
            status: "WARNING",
            metrics,
            error: {
              message: `Cross-region copy to ${drRegion} failed: ${messageOf(error)}`,
              code: awsErrorCode(error) ?? "CopyFailed",
            },
          });
        }
      }),
    ),
  );
}
