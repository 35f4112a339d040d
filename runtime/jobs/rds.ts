/**
 * RDS backups: a manual DB snapshot per instance, tagged as ours, awaited until `available`
 * within JOB_TIMEOUT_SECONDS, verified (available and encrypted → verification.dbVerified), and
 * (with DR_REGION) copied to the DR region.
 */
import {
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  waitUntilDBSnapshotAvailable,
  type DBSnapshot,
} from "@aws-sdk/client-rds";
import pLimit from "p-limit";
import type { BackupResult } from "../contract/events";
import { abortedOutcome, abortReason, ABORTED_CODE } from "./abort";
import type { JobDeps } from "./context";
import { snapshotPendingMessage, SNAPSHOT_PENDING_CODE } from "./pending";
import { copyRdsSnapshot } from "./dr-copy";
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

export const RDS_CONCURRENCY = 4;

/** Statuses a DB snapshot never leaves for `available`: waiting longer cannot help. */
const FAILED_STATUSES = new Set([
  "failed",
  "incompatible-restore",
  "incompatible-parameters",
  "deleted",
  "deleting",
]);

export interface RdsOptions {
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
}

/** RDS identifiers: letters, digits, single hyphens, starting with a letter, at most 255. */
export function snapshotIdentifier(instanceId: string, jobId: string): string {
  const base = `drox-${instanceId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-");
  return `${base.slice(0, 200)}-${jobId.toLowerCase()}`;
}

function createFailure(error: unknown): Outcome {
  const code = awsErrorCode(error);
  if (code === "DBInstanceNotFoundFault" || code === "DBInstanceNotFound") {
    return {
      status: "FAILED",
      error: { message: "Database instance not found", code: "DBInstanceNotFound" },
    };
  }
  return { status: "FAILED", error: { message: messageOf(error), ...(code ? { code } : {}) } };
}

async function describe(deps: JobDeps, identifier: string): Promise<DBSnapshot | undefined> {
  const out = await deps.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier }));
  return out.DBSnapshots?.[0];
}

async function backupOne(
  deps: JobDeps,
  instanceId: string,
  clock: RunClock,
  options: RdsOptions,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<BackupResult> {
  const identifier = snapshotIdentifier(instanceId, clock.jobId);
  const { settings } = deps;
  if (signal?.aborted) {
    return finishRun(
      clock,
      "RDS",
      instanceId,
      deps.now(),
      abortedOutcome(signal, "before its DB snapshot was started"),
    );
  }
  let created: DBSnapshot | undefined;
  try {
    const out = await deps.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: instanceId,
        DBSnapshotIdentifier: identifier,
        Tags: snapshotTags({ jobId: clock.jobId, source: instanceId, retentionDays: settings.retentionDays }),
      }),
    );
    created = out.DBSnapshot;
  } catch (error) {
    return finishRun(clock, "RDS", instanceId, deps.now(), createFailure(error));
  }
  try {
    await waitUntilDBSnapshotAvailable(
      {
        client: deps.rds,
        abortSignal: signal,
        // One deadline for the whole run: instances queued behind others get what is left.
        ...waitBounds(deadline, options.minDelaySeconds ?? 15, options.maxDelaySeconds ?? 120),
      },
      { DBSnapshotIdentifier: identifier },
    );
  } catch (error) {
    deps.logger.warn(
      { err: messageOf(error), snapshot: identifier },
      "DB snapshot waiter ended without success",
    );
  }
  const snapshot = (await describe(deps, identifier)) ?? created;
  const allocated = snapshot?.AllocatedStorage;
  const metrics = {
    snapshotId: identifier,
    ...(allocated === undefined ? {} : { sizeBytes: allocated * GIB }),
  };
  if (snapshot?.Status && FAILED_STATUSES.has(snapshot.Status)) {
    return finishRun(clock, "RDS", instanceId, deps.now(), {
      status: "FAILED",
      metrics,
      verification: { dbVerified: false },
      error: {
        message: `DB snapshot ${identifier} failed (status ${snapshot.Status})`,
        code: "SnapshotFailed",
      },
    });
  }
  if (snapshot?.Status !== "available" && signal?.aborted) {
    return finishRun(
      clock,
      "RDS",
      instanceId,
      deps.now(),
      abortedOutcome(
        signal,
        `before DB snapshot ${identifier} was available (status ${snapshot?.Status ?? "unknown"})`,
        {
          metrics,
          verification: { dbVerified: false },
        },
      ),
    );
  }
  if (snapshot?.Status === "creating") {
    // Created and progressing (large first snapshots take hours): the integrity check follows it.
    return finishRun(clock, "RDS", instanceId, deps.now(), {
      status: "WARNING",
      metrics,
      verification: { dbVerified: false },
      error: {
        message: snapshotPendingMessage(`DB snapshot ${identifier}`, "creating", settings.jobTimeoutSeconds),
        code: SNAPSHOT_PENDING_CODE,
      },
    });
  }
  if (snapshot?.Status !== "available") {
    return finishRun(clock, "RDS", instanceId, deps.now(), {
      status: "FAILED",
      metrics,
      verification: { dbVerified: false },
      error: {
        message: `DB snapshot ${identifier} not available within ${settings.jobTimeoutSeconds} s (status ${snapshot?.Status ?? "unknown"})`,
        code: "SnapshotTimeout",
      },
    });
  }
  const encrypted = snapshot.Encrypted === true;
  let outcome: Outcome = encrypted
    ? { status: "SUCCEEDED", metrics, verification: { dbVerified: true } }
    : {
        status: "WARNING",
        metrics,
        verification: { dbVerified: false },
        error: { message: `DB snapshot ${identifier} is not encrypted`, code: "SnapshotNotEncrypted" },
      };
  if (settings.drRegion && deps.drRds && snapshot.DBSnapshotArn && signal?.aborted) {
    // The snapshot itself is done; only its DR copy is missing (the integrity check flags it).
    outcome = {
      status: "WARNING",
      metrics,
      verification: outcome.verification,
      error: {
        message: `Cross-region copy to ${settings.drRegion} not started, the run was aborted: ${abortReason(signal)}`,
        code: ABORTED_CODE,
      },
    };
  } else if (settings.drRegion && deps.drRds && snapshot.DBSnapshotArn) {
    try {
      const copy = await copyRdsSnapshot(deps.drRds, snapshot.DBSnapshotArn, identifier, {
        sourceRegion: settings.region ?? (await deps.rds.config.region()),
        targetRegion: settings.drRegion,
        jobId: clock.jobId,
        source: instanceId,
        retentionDays: settings.drRetentionDays,
        kmsKeyId: settings.drKmsKeyId,
      });
      outcome = { ...outcome, metrics: { ...metrics, ...copy } };
    } catch (error) {
      outcome = {
        status: "WARNING",
        metrics,
        verification: outcome.verification,
        error: {
          message: `Cross-region copy to ${settings.drRegion} failed: ${messageOf(error)}`,
          code: awsErrorCode(error) ?? "CopyFailed",
        },
      };
    }
  }
  return finishRun(clock, "RDS", instanceId, deps.now(), outcome);
}

export async function backupRdsInstances(
  deps: JobDeps,
  instanceIds: readonly string[],
  options: RdsOptions = {},
  signal?: AbortSignal,
  jobIdFor?: JobIdFor,
): Promise<BackupResult[]> {
  const limit = pLimit(RDS_CONCURRENCY);
  const deadline = Date.now() + deps.settings.jobTimeoutSeconds * 1000;
  return Promise.all(
    instanceIds.map((id) =>
      limit(() => backupOne(deps, id, startRun(deps.now(), jobIdFor?.(id)), options, deadline, signal)),
    ),
  );
}
